/**
 * Counts PostgreSQL round trips on a node-pg pool at the protocol level: every exchange the
 * client waits for ends with exactly one ReadyForQuery message from the server, so counting them
 * counts round trips (connection start-up excluded). A diagnostic for tests and the benchmark.
 */
import type { EventEmitter } from 'node:events';
import type pg from 'pg';

export interface RoundTripCounter {
  readonly count: number;
  reset(): void;
}

export function countRoundTrips(pool: pg.Pool): RoundTripCounter {
  let count = 0;
  pool.on('connect', (client) => {
    const connection = (client as unknown as { connection: EventEmitter }).connection;
    let ready = false;
    connection.on('readyForQuery', () => {
      // the first ReadyForQuery ends the start-up, not a query
      if (ready) count++;
      else ready = true;
    });
  });
  return {
    get count() {
      return count;
    },
    reset() {
      count = 0;
    },
  };
}
