//! SMTP connections, kept open per account.
//!
//! lettre speaks SMTP here (greeting, EHLO, STARTTLS, AUTH, MAIL, RCPT,
//! DATA with its dot-stuffing, the replies); this module decides when a
//! connection is opened, reused and dropped. It replaces lettre's pooled
//! transport, for three reasons found while measuring (docs/BENCHMARKS.md,
//! "Sending"):
//! - lettre writes a message's body and its closing `.` as two writes on a
//!   socket it opens without `TCP_NODELAY`, so the second write waits for
//!   the server's delayed ACK: about 40 ms a message. lettre fixed that
//!   upstream (pull request #1159) but 0.11.23, the newest release, does not
//!   carry it. Here Cairn opens the socket, sets `TCP_NODELAY` and hands it
//!   to lettre ([`AsyncSmtpConnection::connect_with_transport`]). Implicit
//!   TLS (port 465) still lets lettre open the socket, since lettre wraps
//!   TLS around the sockets it opens itself.
//! - The pooled transport sends NOOP before every message, a round trip
//!   each, to find connections the server closed meanwhile. Here a
//!   connection found closed when the next message starts (before the
//!   server was given anything) is replaced and the message sent over the
//!   new one ([`SmtpClient::send`]); one parked longer than [`IDLE_LIMIT`]
//!   is dropped.
//! - lettre's async transport bounds only the TCP connect by its timeout,
//!   so a server that accepted and then stopped answering held the send for
//!   good. Here the account's `timeout_secs` bounds the whole login and each
//!   message. A connection whose send was cut short (an error, a timeout,
//!   the dispatcher dropping the future) is never parked for reuse.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use lettre::Message;
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;
use tokio::net::TcpStream;
use tokio::time::timeout;

/// A connection parked longer than this is dropped, not reused: servers
/// close idle connections after a few minutes (RFC 5321 asks them to wait
/// at least 5), some much sooner.
pub const IDLE_LIMIT: Duration = Duration::from_secs(60);

/// How the connection is protected.
pub enum Security {
    Plain,
    /// Plain at first, then `STARTTLS`, which the server must offer.
    Starttls(TlsParameters),
    /// TLS from the first byte (SMTPS, port 465).
    Implicit(TlsParameters),
}

/// Why a connection or a message failed.
#[derive(Debug)]
pub enum SmtpError {
    /// What lettre reported: a reply, TLS, a lost connection.
    Smtp(lettre::transport::smtp::Error),
    /// The TCP connection could not be made.
    Connect(std::io::Error),
    /// The server said nothing for the account's timeout.
    TimedOut {
        doing: &'static str,
        after: Duration,
    },
}

impl fmt::Display for SmtpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SmtpError::Smtp(e) => write!(f, "{e}"),
            SmtpError::Connect(e) => write!(f, "Connection error: {e}"),
            SmtpError::TimedOut { doing, after } => {
                write!(f, "no answer within {} s while {doing}", after.as_secs())
            }
        }
    }
}

impl From<lettre::transport::smtp::Error> for SmtpError {
    fn from(e: lettre::transport::smtp::Error) -> Self {
        SmtpError::Smtp(e)
    }
}

/// One account's server: how to reach it and the connections kept open.
pub struct SmtpClient {
    host: String,
    port: u16,
    security: Security,
    credentials: Option<Credentials>,
    timeout: Duration,
    /// How many connections stay parked at most (the account's pool size:
    /// the dispatcher sends that many at a time through it).
    keep: usize,
    hello: ClientId,
    parked: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
}

impl SmtpClient {
    pub fn new(
        host: String,
        port: u16,
        security: Security,
        credentials: Option<Credentials>,
        timeout: Duration,
        keep: usize,
    ) -> SmtpClient {
        SmtpClient {
            host,
            port,
            security,
            credentials,
            timeout,
            keep,
            hello: ClientId::default(),
            parked: Mutex::new(Vec::new()),
        }
    }

    /// Sends one message over a parked connection or a new one.
    ///
    /// A parked connection the server closed meanwhile (after its idle
    /// timeout, or with a 421 after so many messages) fails before the
    /// message was handed over; the message then goes over a new
    /// connection at once. A failure after the server was given the message
    /// is never tried again here: the server may have accepted it.
    pub async fn send(&self, message: &Message) -> Result<Response, SmtpError> {
        let body = message.formatted();
        let envelope = message.envelope();
        let (mut conn, mut reused) = match self.reuse() {
            Some(conn) => (conn, true),
            None => (self.open().await?, false),
        };
        loop {
            match timeout(self.timeout, transaction(&mut conn, envelope, &body)).await {
                Ok(Ok(response)) => {
                    self.park(conn);
                    return Ok(response);
                }
                Ok(Err(Failure::BeforeData(e))) if reused && closed_by_server(&e) => {
                    tracing::debug!(host = %self.host, error = %e, "a kept-open SMTP connection was closed; opening a new one");
                    conn = self.open().await?;
                    reused = false;
                }
                // The connection is dropped with its failure.
                Ok(Err(Failure::BeforeData(e) | Failure::Data(e))) => {
                    return Err(SmtpError::Smtp(e));
                }
                Err(_) => return Err(self.timed_out("sending a message")),
            }
        }
    }

    /// Connects, says hello, starts TLS, logs in, checks the connection
    /// with NOOP and says goodbye: `cairn account test`.
    pub async fn check(&self) -> Result<(), SmtpError> {
        let mut conn = self.open().await?;
        match timeout(self.timeout, async {
            let alive = conn.test_connected().await;
            if alive {
                let _ = conn.quit().await;
            }
            alive
        })
        .await
        {
            Ok(true) => Ok(()),
            Ok(false) => Err(SmtpError::Connect(std::io::Error::other(
                "the server accepted the connection but did not answer NOOP",
            ))),
            Err(_) => Err(self.timed_out("checking the connection (NOOP)")),
        }
    }

    /// The parked connection used last, unless it rested too long.
    fn reuse(&self) -> Option<AsyncSmtpConnection> {
        let mut parked = self.lock();
        while let Some((conn, since)) = parked.pop() {
            if since.elapsed() <= IDLE_LIMIT {
                return Some(conn);
            }
        }
        None
    }

    fn park(&self, conn: AsyncSmtpConnection) {
        let mut parked = self.lock();
        parked.retain(|(_, since)| since.elapsed() <= IDLE_LIMIT);
        if parked.len() < self.keep {
            parked.push((conn, Instant::now()));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(AsyncSmtpConnection, Instant)>> {
        self.parked.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn timed_out(&self, doing: &'static str) -> SmtpError {
        SmtpError::TimedOut {
            doing,
            after: self.timeout,
        }
    }

    /// A new connection, encrypted and logged in as the account says.
    async fn open(&self) -> Result<AsyncSmtpConnection, SmtpError> {
        timeout(self.timeout, self.connect_and_login())
            .await
            .map_err(|_| self.timed_out("connecting and logging in"))?
    }

    async fn connect_and_login(&self) -> Result<AsyncSmtpConnection, SmtpError> {
        let addr = (self.host.as_str(), self.port);
        let mut conn = match &self.security {
            Security::Implicit(tls) => {
                AsyncSmtpConnection::connect_tokio1(
                    addr,
                    Some(self.timeout),
                    &self.hello,
                    Some(tls.clone()),
                    None,
                )
                .await?
            }
            Security::Plain | Security::Starttls(_) => {
                let tcp = TcpStream::connect(addr).await.map_err(SmtpError::Connect)?;
                tcp.set_nodelay(true).map_err(SmtpError::Connect)?;
                AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.hello).await?
            }
        };
        if let Security::Starttls(tls) = &self.security {
            conn.starttls(tls.clone(), &self.hello).await?;
        }
        if let Some(credentials) = &self.credentials {
            conn.auth(DEFAULT_MECHANISMS, credentials).await?;
        }
        Ok(conn)
    }
}

/// Where a transaction failed.
enum Failure {
    /// At MAIL, RCPT or DATA: the server was not given the message.
    BeforeData(lettre::transport::smtp::Error),
    /// While or after the message was handed over.
    Data(lettre::transport::smtp::Error),
}

/// MAIL, RCPT, DATA and the message, as lettre's
/// `AsyncSmtpConnection::send` does, saying where a failure came.
async fn transaction(
    conn: &mut AsyncSmtpConnection,
    envelope: &Envelope,
    body: &[u8],
) -> Result<Response, Failure> {
    let mut addresses = envelope.from().into_iter().chain(envelope.to());
    if !body.is_ascii() || addresses.any(|a| !AsRef::<str>::as_ref(a).is_ascii()) {
        // SMTPUTF8 and 8BITMIME are lettre's to negotiate; where it fails
        // is not told, so it counts as after the hand-over.
        return conn.send(envelope, body).await.map_err(Failure::Data);
    }
    let before = Failure::BeforeData;
    conn.command(Mail::new(envelope.from().cloned(), vec![]))
        .await
        .map_err(before)?;
    for to in envelope.to() {
        conn.command(Rcpt::new(to.clone(), vec![]))
            .await
            .map_err(before)?;
    }
    conn.command(Data).await.map_err(before)?;
    conn.message(body).await.map_err(Failure::Data)
}

/// A kept-open connection the server had closed: no reply at all (the
/// socket closed or reset), or 421, "closing transmission channel".
fn closed_by_server(e: &lettre::transport::smtp::Error) -> bool {
    match e.status() {
        Some(code) => u16::from(code) == 421,
        None => !e.is_tls() && !e.is_client(),
    }
}
