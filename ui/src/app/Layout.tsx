import { useEffect } from "react";
import { Outlet } from "react-router";

import { loadEditor, PREFETCH_AFTER_MS } from "./editorCode";

import styles from "./Layout.module.css";
import { Sidebar } from "./Sidebar";

/** The frame of every screen: navigation on the left, the screen on the right. */
export function Layout() {
  useEffect(() => {
    const timer = setTimeout(() => void loadEditor(), PREFETCH_AFTER_MS);
    return () => clearTimeout(timer);
  }, []);
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
