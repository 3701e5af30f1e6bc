// The thread boundary: a stack and a saved frame per program, switched by boot/threads.c.
//
// Thread 0 is the kernel's; a program's main() runs on its own. thread_switch returns when
// someone switches back; thread_request_switch takes effect when the interrupt being handled
// ends. thread_result is -1 while the thread lives, then the trap that ended main() (0: it
// returned). thread_kill ends a thread that is not running.

// @ts-ignore: decorator

@external("hardware", "thread_create") export declare function threadCreate(module: i32): i32;
// @ts-ignore: decorator
@external("hardware", "thread_switch") export declare function threadSwitch(thread: i32): void;
// @ts-ignore: decorator
@external("hardware", "thread_request_switch") export declare function threadRequestSwitch(thread: i32): void;
// @ts-ignore: decorator
@external("hardware", "thread_current") export declare function threadCurrent(): i32;
// @ts-ignore: decorator
@external("hardware", "thread_result") export declare function threadResult(thread: i32): i32;
// @ts-ignore: decorator
@external("hardware", "thread_kill") export declare function threadKill(thread: i32): void;
// @ts-ignore: decorator
@external("hardware", "thread_release") export declare function threadRelease(thread: i32): void;
