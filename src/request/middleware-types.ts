import type { IncomingMessage, ServerResponse } from 'node:http';

/** `next` as Express calls it. */
export type NextFunction = (err?: unknown) => void;
/** A middleware usable with Express 4 and 5 (and connect). */
export type Middleware = (req: IncomingMessage, res: ServerResponse, next: NextFunction) => void;
