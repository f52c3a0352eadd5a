/**
 * Types for asterisk-manager@0.2.0 (lib/ami.js), which ships none. Only what the wrapper uses; see ami-client.ts
 * for the quirks these signatures hide (lowercased keys, callbacks that never fire, silent login failure).
 */
declare module 'asterisk-manager' {
  type ManagerObject = Record<string, unknown>;

  interface ManagerOptions {
    port: number | undefined;
    host: string;
    username: string;
    password: string;
    events: boolean;
  }

  interface Manager {
    options: ManagerOptions;
    connect(port: number, host: string, callback?: () => void): void;
    login(callback?: (err?: ManagerObject) => void): void;
    keepConnected(): void;
    /** Returns the ActionID; `callback(err)` gets the response object as `err` on `Response: Error`. */
    action(action: ManagerObject, callback?: (err: ManagerObject | undefined | null, res?: ManagerObject) => void): string;
    disconnect(callback?: () => void): void;
    isConnected(): boolean;
    on(event: string, listener: (...args: never[]) => void): void;
    once(event: string, listener: (...args: never[]) => void): void;
    removeListener(event: string, listener: (...args: never[]) => void): void;
    removeAllListeners(event?: string): void;
    listeners(event: string): unknown[];
    emit(event: string, ...args: unknown[]): boolean;
  }

  interface ManagerFactory {
    new (port?: number, host?: string, username?: string, password?: string, events?: boolean): Manager;
    (port?: number, host?: string, username?: string, password?: string, events?: boolean): Manager;
  }

  const Manager: ManagerFactory;
  export default Manager;
}
