import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../helpers/internals.js';

function breaker(threshold = 3, coolDownMs = 10_000) {
  const clock = { t: 1_000_000 };
  const b = new CircuitBreaker({ failureThreshold: threshold, coolDownMs, now: () => clock.t });
  return { b, clock };
}

describe('CircuitBreaker', () => {
  it('lets every call through while closed, and a success resets the failure count', () => {
    const { b } = breaker(3);
    b.failure();
    b.failure();
    b.success();
    b.failure();
    b.failure();
    expect(b.state).toBe('closed');
    expect(b.allow()).toBe(true);
  });

  it('opens after the threshold of consecutive failures and refuses at once during the cool-down', () => {
    const { b, clock } = breaker(3, 10_000);
    for (let i = 0; i < 3; i++) b.failure();
    expect(b.state).toBe('open');
    expect(b.allow()).toBe(false);
    expect(b.retryAfterSeconds()).toBe(10);
    clock.t += 9_500;
    expect(b.allow()).toBe(false);
    expect(b.retryAfterSeconds()).toBe(1);
  });

  it('lets exactly one probe through after the cool-down; its success closes the circuit', () => {
    const { b, clock } = breaker(2, 1000);
    b.failure();
    b.failure();
    clock.t += 1000;
    expect(b.state).toBe('half-open');
    expect(b.allow()).toBe(true);
    expect(b.allow()).toBe(false);
    b.success();
    expect(b.state).toBe('closed');
    expect(b.allow()).toBe(true);
  });

  it('opens again for a full cool-down when the probe fails', () => {
    const { b, clock } = breaker(2, 1000);
    b.failure();
    b.failure();
    clock.t += 1500;
    expect(b.allow()).toBe(true);
    b.failure();
    expect(b.state).toBe('open');
    expect(b.allow()).toBe(false);
    clock.t += 999;
    expect(b.allow()).toBe(false);
    clock.t += 1;
    expect(b.allow()).toBe(true);
  });
});
