// How the connections of a TieredCache wait: for a TCP connection, between
// reconnection attempts, and for a socket to end.

/** Backoff between reconnection attempts: 50 ms, 100 ms, … at most 1 s, forever. */
export const reconnectDelay = (attempt: number): number => Math.min(50 * attempt, 1000)

/**
 * How long `close()` lets a socket end gracefully before destroying it.
 * ioredis's default (2 s) kept a process that closed its cache while Redis was
 * unreachable alive that long: the socket it ends is already dead.
 */
export const DISCONNECT_TIMEOUT = 50

/** How long the clients a TieredCache creates wait for a TCP connection. */
export const CONNECT_TIMEOUT = 2000
