// The long-running service shell: HTTP health/metrics, signals, graceful shutdown.
// May import everything below it.

export {};
