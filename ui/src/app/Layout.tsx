import { Outlet } from "react-router";

import styles from "./Layout.module.css";
import { Sidebar } from "./Sidebar";

/** The frame of every screen: navigation on the left, the screen on the right. */
export function Layout() {
  return (
    <div className={styles.shell}>
      <Sidebar />
      <main className={styles.main}>
        <div className={styles.content}>
          <Outlet />
        </div>
      </main>
    </div>
  );
}
