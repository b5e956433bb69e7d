/** Wraps the `debug` option so that a failing logger never fails a request (or a timer). */
export function safeDebug(debug: (message: string) => void): (message: string) => void {
  return (message) => {
    try {
      debug(message);
    } catch {
      // A failing debug logger must not fail a request.
    }
  };
}
