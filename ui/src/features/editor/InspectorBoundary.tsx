import { Component, type ReactNode } from "react";

import styles from "./Editor.module.css";

type Props = { children: ReactNode };
type State = { error: Error | null };

/**
 * Keeps a form that fails to draw (a workflow file with a shape this build
 * does not expect) from taking the whole editor down: the inspector says
 * so, and the canvas, the problems list and Save keep working.
 */
export class InspectorBoundary extends Component<Props, State> {
  state: State = { error: null };

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  render() {
    if (this.state.error) {
      return (
        <aside className={styles.inspectorCrash} role="alert" data-testid="inspector-crash">
          <h2>These settings cannot be shown</h2>
          <p>{this.state.error.message}</p>
          <p>The workflow itself is unchanged. Select another node, or check this one in the workflow file.</p>
        </aside>
      );
    }
    return this.props.children;
  }
}
