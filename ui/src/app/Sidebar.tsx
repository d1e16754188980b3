import { NavLink } from "react-router";

import cairnMark from "@/assets/cairn-mark.svg";

import { mainNav, type NavItem, settingsNav } from "./nav";
import styles from "./Sidebar.module.css";

function Item({ item }: { item: NavItem }) {
  const Icon = item.icon;
  return (
    <NavLink
      to={item.path}
      className={({ isActive }) => `${styles.item} ${isActive ? styles.active : ""}`}
    >
      <Icon size={18} strokeWidth={1.75} aria-hidden />
      <span className={styles.label}>{item.label}</span>
      {!item.ready && <span className={styles.soon}>Soon</span>}
    </NavLink>
  );
}

/** The left navigation with the app's name on top and settings at the bottom. */
export function Sidebar() {
  return (
    <nav className={styles.sidebar} aria-label="Main">
      <div className={styles.brand}>
        <img src={cairnMark} alt="" width={28} height={28} />
        <span>Cairn</span>
      </div>
      <div className={styles.items}>
        {mainNav.map((item) => (
          <Item key={item.path} item={item} />
        ))}
      </div>
      <div className={styles.footer}>
        <Item item={settingsNav} />
      </div>
    </nav>
  );
}
