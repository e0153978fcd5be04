#!/usr/bin/env python3
"""percall.py OUT N: what scripts/percall.sh left in OUT, per operation.

Instructions: callgrind_annotate's per-function counts of the runs at N and
2N iterations, the difference divided by N, put in classes by the innermost
function (recursion suffixes merged): the collector (gc), the scheduler and
system call entry (sched), the allocator (alloc), map work (maps), and
everything else (code: the gateway's, the test peers', the standard
library's). Code, maps and allocation repeat from run to run within a
couple of thousand instructions; the collector and the scheduler do not.
System calls: strace -f -c's counts, the same difference, with the
runtime's futex, nanosleep and memory calls left out (they do not repeat).
"""
import collections
import re
import subprocess
import sys

PREFIXES = {
    "maps": ["internal/runtime/maps.", "runtime.mapaccess", "runtime.mapassign", "runtime.mapdelete",
             "runtime.mapiter", "runtime.mapclear", "runtime.memhash", "runtime.strhash", "aeshash",
             "memhash", "runtime.rand", "internal/chacha8rand", "runtime.bootstrapRand", "maps."],
    "gc": ["runtime.gc", "runtime.scan", "runtime.tryDeferToSpan", "runtime.markBits", "runtime.greyobject",
           "runtime.findObject", "runtime.wbBuf", "runtime.typePointers", "runtime.sweep", "runtime.bgsweep",
           "runtime.bgscavenge", "runtime.(*gcWork", "runtime.(*mspan).sweep", "runtime.(*spanInline",
           "runtime.(*spanQueue)", "runtime.(*mheap)", "runtime.(*mcentral)", "runtime.(*gcBits)",
           "runtime.(*spanSet)", "runtime.(*sweep", "runtime.(*pageAlloc)", "runtime.deductSweepCredit",
           "runtime.(*gcControllerState)", "runtime.markroot", "runtime.heapBitsSmallForAddr", "runtime.spanOf",
           "runtime.(*mspan).typePointers", "runtime.(*mspan).heapBits", "runtime.(*mspan).mark",
           "runtime.(*mspan).scan", "runtime.pageIndexOf", "runtime.bulkBarrier", "runtime.wbMove",
           "runtime.(*gcCPULimiter", "runtime.(*mspan).refill", "runtime.(*scavenger", "runtime.shade",
           "runtime.(*mspan).isFree", "runtime.(*mspan).init", "runtime.(*spanScan", "runtime.(*markBits",
           "runtime.(*limiterEvent", "runtime.(*mSpanList", "runtime.(*fixalloc"],
    "alloc": ["runtime.mallocgc", "runtime.newobject", "runtime.makeslice", "runtime.growslice",
              "runtime.nextFreeFast", "runtime.(*mcache)", "runtime.(*mspan).writeHeapBits", "runtime.heapSetType",
              "runtime.memclrNoHeapPointers", "runtime.rawstring", "runtime.slicebytetostring",
              "runtime.rawbyteslice", "runtime.concatstring", "runtime.makemap", "runtime.newarray",
              "runtime.roundupsize", "runtime.(*mspan).nextFreeIndex", "runtime.stringtoslicebyte",
              "runtime.(*mspan).initHeapBits", "runtime.publicationBarrier", "runtime.memmove"],
    "sched": ["runtime.schedule", "runtime.findRunnable", "runtime.park", "runtime.gopark", "runtime.goready",
              "runtime.ready", "runtime.netpoll", "runtime.runq", "runtime.steal", "runtime.execute", "runtime.gogo",
              "runtime.mcall", "runtime.goexit", "runtime.newproc", "runtime.gfget", "runtime.gfput",
              "runtime.gdestroy", "runtime.casgstatus", "runtime.lock", "runtime.unlock", "runtime.note",
              "runtime.futex", "runtime.wakep", "runtime.startm", "runtime.stopm", "runtime.handoffp",
              "runtime.acquirep", "runtime.releasep", "runtime.pidle", "runtime.checkTimers",
              "runtime.entersyscall", "runtime.exitsyscall", "runtime.reentersyscall", "runtime.nanotime",
              "runtime.walltime", "runtime.procyield", "runtime.osyield", "runtime.usleep", "runtime.sysmon",
              "runtime.chansend", "runtime.chanrecv", "runtime.selectgo", "runtime.selectnb", "runtime.send",
              "runtime.recv", "runtime.resetspinning", "runtime.injectglist", "runtime.sema", "runtime.(*timer",
              "runtime.(*waitq", "runtime.(*gList", "runtime.(*gQueue", "runtime.mPark", "runtime.(*pollDesc",
              "runtime.(*pollCache", "internal/poll.runtime_", "runtime.poll_runtime", "runtime.closechan",
              "runtime.chanpark", "runtime.parkunlock", "runtime.gosched", "runtime.Gosched",
              "runtime.acquireSudog", "runtime.releaseSudog", "runtime.getitab", "runtime.typeAssert",
              "runtime.assert", "runtime.(*itab", "runtime.itab", "runtime.morestack", "runtime.newstack",
              "runtime.copystack", "runtime.stack", "runtime.(*unwinder", "runtime.adjust", "runtime.systemstack",
              "runtime.funcInfo", "runtime.findfunc", "runtime.pcvalue", "runtime.step", "runtime.readvarint",
              "runtime.(*lfstack", "sync.runtime_", "internal/sync", "sync/atomic", "internal/runtime/atomic",
              "internal/runtime/syscall", "syscall.Syscall", "syscall.RawSyscall", "syscall.rawSyscall",
              "syscall.syscall", "runtime.read", "runtime.write", "runtime.epoll", "runtime.vdso", "time.now",
              "time.Now", "time.Since", "time.runtimeNano", "runtime.(*m)", "runtime.(*p)", "runtime.mstart",
              "runtime.checkdead", "runtime.globrunq", "runtime.blockTimerChan", "runtime.unblockTimerChan",
              "runtime.(*hchan", "runtime.goyield", "runtime.(*mLock", "runtime.timeSleep",
              "runtime.resetForSleep", "runtime.preempt", "runtime.asyncPreempt", "runtime.(*sigctxt",
              "runtime.sig", "runtime.retake", "runtime.runtimer", "runtime.(*timers", "runtime.forEachG",
              "runtime.goschedIf", "runtime.semrelease", "runtime.semacquire", "runtime.(*semaRoot",
              "runtime.dropg", "runtime.(*guintptr", "runtime.(*puintptr", "runtime.(*muintptr",
              "runtime.gcstopm", "runtime.stoplockedm", "runtime.netpollblock", "runtime.(*rwmutex",
              "runtime.(*randomEnum", "runtime.(*randomOrder", "runtime.cheaprand", "runtime.mput", "runtime.mget"],
}
SKIP_CALLS = {"futex", "nanosleep", "madvise", "mmap", "munmap", "sched_yield", "getpid", "tgkill", "rt_sigreturn",
              "rt_sigprocmask", "sigaltstack", "gettid", "clone", "clone3", "mprotect"}


def cls(fn):
    for c in ("maps", "gc", "alloc", "sched"):
        if any(fn.startswith(p) for p in PREFIXES[c]):
            return c
    return "code"


def functions(path):
    out = subprocess.run(["callgrind_annotate", "--auto=no", "--threshold=100", path],
                         capture_output=True, text=True, check=True).stdout
    d = collections.Counter()
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(\S+)", line)
        if not m or "PROGRAM" in line:
            continue
        d[re.sub(r"'\d+$", "", m.group(2).rsplit(":", 1)[-1])] += int(m.group(1).replace(",", ""))
    return d


def calls(path):
    d = {}
    for line in open(path):
        f = line.split()
        if len(f) >= 5 and f[0][0].isdigit() and "total" not in line:
            d[f[-1]] = (int(f[3]), int(f[4]) if len(f) == 6 else 0)
    return d


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    a, b = functions(f"{out}/cg.{n}.out"), functions(f"{out}/cg.{2 * n}.out")
    per = collections.Counter()
    for k in set(a) | set(b):
        per[cls(k)] += (b.get(k, 0) - a.get(k, 0)) / n
    print("instructions per op: " + ", ".join(f"{c} {per[c] / 1000:.2f}k" for c in ("code", "maps", "alloc", "sched", "gc"))
          + f"; code+maps+alloc {(per['code'] + per['maps'] + per['alloc']) / 1000:.1f}k")
    a, b = calls(f"{out}/st.{n}.txt"), calls(f"{out}/st.{2 * n}.txt")
    total, parts = 0.0, []
    for k in sorted(set(a) | set(b), key=lambda k: -(b.get(k, (0, 0))[0] - a.get(k, (0, 0))[0])):
        c = (b.get(k, (0, 0))[0] - a.get(k, (0, 0))[0]) / n
        e = (b.get(k, (0, 0))[1] - a.get(k, (0, 0))[1]) / n
        if k in SKIP_CALLS:
            continue
        total += c
        if abs(c) >= 0.02:
            parts.append(f"{k} {c:.2f}" + (f" ({e:.2f} failed)" if e else ""))
    print(f"system calls per op {total:.1f}: " + ", ".join(parts))


main()
