//! The X server's view of the app's window, for what WebDriver cannot do:
//! closing the window the way a window manager does (a `WM_DELETE_WINDOW`
//! client message, which GTK turns into the close request the app handles)
//! and telling whether the window is shown.
//!
//! Through libX11, loaded at run time by `x11-dl` (already in the tree as a
//! dependency of Tauri's windowing). xdotool's `windowclose` destroys the
//! window instead of asking it to close, which no user can do.

#![allow(dead_code)]

use std::ffi::{CStr, CString};
use std::os::raw::{c_int, c_long, c_uchar, c_uint, c_ulong};
use std::ptr;

use x11_dl::xlib;

/// A connection to the test's X display.
pub struct X {
    lib: xlib::Xlib,
    display: *mut xlib::Display,
}

// SAFETY (for every block below): plain Xlib calls on a display this struct
// opened and closes; pointers Xlib returns are read within their documented
// lifetime and freed with XFree.
impl X {
    pub fn open() -> X {
        let lib = xlib::Xlib::open().expect("libX11 can be loaded");
        let display = unsafe { (lib.XOpenDisplay)(ptr::null()) };
        assert!(!display.is_null(), "cannot open the X display ($DISPLAY)");
        X { lib, display }
    }

    fn atom(&self, name: &str) -> c_ulong {
        let n = CString::new(name).unwrap();
        unsafe { (self.lib.XInternAtom)(self.display, n.as_ptr(), 0) }
    }

    fn children(&self, w: c_ulong) -> Vec<c_ulong> {
        let (mut root, mut parent) = (0, 0);
        let mut kids: *mut c_ulong = ptr::null_mut();
        let mut n: c_uint = 0;
        let ok = unsafe {
            (self.lib.XQueryTree)(self.display, w, &mut root, &mut parent, &mut kids, &mut n)
        };
        if ok == 0 || kids.is_null() {
            return vec![];
        }
        let out = unsafe { std::slice::from_raw_parts(kids, n as usize).to_vec() };
        unsafe { (self.lib.XFree)(kids.cast()) };
        out
    }

    fn name(&self, w: c_ulong) -> Option<String> {
        let mut name = ptr::null_mut();
        let ok = unsafe { (self.lib.XFetchName)(self.display, w, &mut name) };
        if ok == 0 || name.is_null() {
            return None;
        }
        let s = unsafe { CStr::from_ptr(name) }
            .to_string_lossy()
            .into_owned();
        unsafe { (self.lib.XFree)(name.cast()) };
        Some(s)
    }

    fn pid(&self, w: c_ulong) -> Option<u32> {
        let prop = self.atom("_NET_WM_PID");
        let (mut kind, mut format, mut n, mut after) = (0, 0 as c_int, 0, 0);
        let mut data: *mut c_uchar = ptr::null_mut();
        let status = unsafe {
            (self.lib.XGetWindowProperty)(
                self.display,
                w,
                prop,
                0,
                1,
                0,
                xlib::XA_CARDINAL,
                &mut kind,
                &mut format,
                &mut n,
                &mut after,
                &mut data,
            )
        };
        if status != 0 || data.is_null() || n == 0 {
            return None;
        }
        // 32-bit properties come back as C longs.
        let pid = unsafe { *(data as *const c_long) } as u32;
        unsafe { (self.lib.XFree)(data.cast()) };
        Some(pid)
    }

    /// The toplevel window titled `title` that process `pid` owns.
    pub fn find(&self, pid: u32, title: &str) -> Option<c_ulong> {
        let root = unsafe { (self.lib.XDefaultRootWindow)(self.display) };
        let mut todo = vec![root];
        while let Some(w) = todo.pop() {
            if self.pid(w) == Some(pid) && self.name(w).as_deref() == Some(title) {
                return Some(w);
            }
            todo.extend(self.children(w));
        }
        None
    }

    /// Whether the window is mapped and viewable.
    pub fn visible(&self, w: c_ulong) -> bool {
        let mut attrs: xlib::XWindowAttributes = unsafe { std::mem::zeroed() };
        let ok = unsafe { (self.lib.XGetWindowAttributes)(self.display, w, &mut attrs) };
        ok != 0 && attrs.map_state == xlib::IsViewable
    }

    /// Asks the window to close, as a window manager's close button does.
    pub fn request_close(&self, w: c_ulong) {
        let mut data = xlib::ClientMessageData::new();
        data.set_long(0, self.atom("WM_DELETE_WINDOW") as c_long);
        data.set_long(1, xlib::CurrentTime as c_long);
        let message = xlib::XClientMessageEvent {
            type_: xlib::ClientMessage,
            serial: 0,
            send_event: xlib::True,
            display: self.display,
            window: w,
            message_type: self.atom("WM_PROTOCOLS"),
            format: 32,
            data,
        };
        let mut event = xlib::XEvent {
            client_message: message,
        };
        unsafe {
            (self.lib.XSendEvent)(self.display, w, xlib::False, xlib::NoEventMask, &mut event);
            (self.lib.XSync)(self.display, xlib::False);
        }
    }
}

impl Drop for X {
    fn drop(&mut self) {
        unsafe { (self.lib.XCloseDisplay)(self.display) };
    }
}
