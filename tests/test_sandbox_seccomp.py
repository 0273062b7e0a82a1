"""The seccomp filters (sandbox/_linux.py, seccomp_filter), run here by a small BPF interpreter.

Every program's process installs the per-program filter, and the kernel then runs it once for every
syscall number to build its action cache; the filter looks a number up by binary search so that this
costs little. These tests check, for every syscall number, that both filters decide exactly what their
tables say (deny, allow, or allow only on the process itself), that other architectures and x32 calls
are killed, and that no allowed call passes through more than a few tests.
"""

from __future__ import annotations

import struct

import pytest

from sandbox import _linux

ALLOW, ERRNO, KILL = 0x7FFF0000, 0x00050000 | 1, 0x80000000  # (EPERM)


def run(prog: bytes, nr: int, arch: int = 0xC000003E, arg0: int = 0) -> tuple[int, int]:
    """What ``prog`` returns for a call (struct seccomp_data), and how many instructions it ran."""
    code = [struct.unpack_from("=HBBI", prog, i) for i in range(0, len(prog), 8)]
    data = struct.pack("=iIQ6Q", nr, arch, 0, arg0 & (1 << 64) - 1, 0, 0, 0, 0, 0)
    pc = acc = steps = 0
    while True:
        op, jt, jf, k = code[pc]
        steps += 1
        if op == 0x20:  # ld [k]
            acc, pc = struct.unpack_from("=I", data, k)[0], pc + 1
        elif op == 0x15:  # jeq #k
            pc += 1 + (jt if acc == k else jf)
        elif op == 0x35:  # jge #k
            pc += 1 + (jt if acc >= k else jf)
        elif op == 0x06:  # ret #k
            return k, steps
        else:
            raise AssertionError(f"unexpected instruction {op:#x}")


@pytest.mark.parametrize("which", ["worker", "program"])
def test_every_syscall_number_gets_what_the_tables_say_in_few_steps(which):
    deny, self_only, pid = ((_linux.WORKER_DENY, {}, 0) if which == "worker"
                            else (_linux.PROGRAM_DENY, _linux.PROGRAM_SELF_ONLY, 1))
    prog = _linux.seccomp_filter(deny, self_only, pid)
    denied, own = set(deny.values()), set(self_only.values())
    longest = 0
    for nr in range(600):
        for arg0 in (0, pid, 7, -1, 1 << 32):
            action, steps = run(prog, nr, arg0=arg0)
            if nr in denied:
                assert action == ERRNO, nr
            elif nr in own:
                assert action == (ALLOW if arg0 in (0, pid) else ERRNO), (nr, arg0)
            else:
                assert action == ALLOW, nr
                longest = max(longest, steps)
    assert run(prog, 0, arch=0x40000003)[0] == KILL  # i386
    assert run(prog, 0x40000000 | 1)[0] == KILL  # x32
    # A list would run one test per number (over 100 for the worker's filter); a search tree about 2 log2 n.
    assert longest <= 16, longest
