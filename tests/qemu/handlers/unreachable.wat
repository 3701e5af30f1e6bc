;; Isolation fixture: wasm's `unreachable` instruction, which safe AssemblyScript only reaches through abort().
;;
;; Written in WebAssembly text because AssemblyScript compiled with --noUnsafe cannot express
;; this fault (tests/qemu/isolation.test.ts); isolation must not depend on the compiler. The
;; boot run commits 42 to a global and to a memory word. Every run on the app event
;; "unreachable" logs both, changes both, then faults: if the run is rolled back, each
;; retry logs 42 and 42 again.
(module
  (import "optios" "log" (func $log (param $level i32) (param $message i32) (param $length i32) (result i64)))
  (memory (export "memory") 1 1)

  ;; The version in AssemblyScript's layout: the byte length at 16, UTF-16LE characters at 20.
  (data (i32.const 16) "\02\00\00\00" "1\00")
  (global (export "version") i32 (i32.const 20))

  (data (i32.const 256) "committed")
  (data (i32.const 272) "running")
  (data (i32.const 288) " global=")
  (data (i32.const 304) " memory=")
  (global $state (mut i32) (i32.const 0))
  (global $word i32 (i32.const 1024))    ;; the memory counter
  (global $line i32 (i32.const 2048))    ;; where a log line is put together

  ;; Writes $value in decimal at $at; returns the address after its last digit.
  (func $decimal (param $at i32) (param $value i32) (result i32)
    (local $end i32) (local $rest i32)
    (local.set $end (i32.add (local.get $at) (i32.const 1)))
    (local.set $rest (local.get $value))
    (block $counted
      (loop $count
        (br_if $counted (i32.lt_u (local.get $rest) (i32.const 10)))
        (local.set $rest (i32.div_u (local.get $rest) (i32.const 10)))
        (local.set $end (i32.add (local.get $end) (i32.const 1)))
        (br $count)))
    (local.set $at (local.get $end))
    (loop $write
      (local.set $at (i32.sub (local.get $at) (i32.const 1)))
      (i32.store8 (local.get $at) (i32.add (i32.const 48) (i32.rem_u (local.get $value) (i32.const 10))))
      (local.set $value (i32.div_u (local.get $value) (i32.const 10)))
      (br_if $write (local.get $value)))
    (local.get $end))

  ;; Logs "<word> global=<state> memory=<word at $word>", the word being at $prefix.
  (func $logState (param $prefix i32) (param $length i32)
    (local $end i32)
    (memory.copy (global.get $line) (local.get $prefix) (local.get $length))
    (local.set $end (i32.add (global.get $line) (local.get $length)))
    (memory.copy (local.get $end) (i32.const 288) (i32.const 8))
    (local.set $end (call $decimal (i32.add (local.get $end) (i32.const 8)) (global.get $state)))
    (memory.copy (local.get $end) (i32.const 304) (i32.const 8))
    (local.set $end (call $decimal (i32.add (local.get $end) (i32.const 8)) (i32.load (global.get $word))))
    (drop (call $log (i32.const 6) (global.get $line) (i32.sub (local.get $end) (global.get $line)))))

  (func (export "handle") (param $kind i32) (param $source i32) (param $name i32) (param $timestamp i64) (param $length i32)
    (if (i32.eq (local.get $kind) (i32.const 1)) ;; EVENT_BOOT: commit the state every later run must see
      (then
        (global.set $state (i32.const 42))
        (i32.store (global.get $word) (i32.const 42))
        (call $logState (i32.const 256) (i32.const 9))
        (return)))
    (call $logState (i32.const 272) (i32.const 7))
    (global.set $state (i32.add (global.get $state) (i32.const 1)))
    (i32.store (global.get $word) (i32.add (i32.load (global.get $word)) (i32.const 1)))
    unreachable))
