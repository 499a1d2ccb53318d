"""A `cfz run` in a child process, as the README's run command starts it:
shared by the tests that need the whole suite and by benchmarks."""
import os
import signal
import subprocess
import sys
import threading
import time

BANNER = "Stop with Ctrl-C"


def cfz_command():
    script = os.path.join(os.path.dirname(sys.executable), "cfz")
    return [script] if os.path.exists(script) else [sys.executable, "-m", "services.cli"]


def start_cfz_run(env, seconds=300, args=(), cwd=None, command=None):
    """`cfz run [args]` started and read up to its banner (at most
    `seconds`); its log keeps being read into the returned list, so a full
    pipe never blocks it. `command` and `cwd` run another checkout's code
    (`[sys.executable, "-m", "services.cli"]` from that checkout)."""
    process = subprocess.Popen((command or cfz_command()) + ["run", *args], env=env, cwd=cwd,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        output.append(line)
        if BANNER in line:
            break
    threading.Thread(target=lambda: output.extend(process.stdout), daemon=True).start()
    return process, output


def stop_cfz_run(process, seconds=60):
    """Stop a `cfz run` as an operator would (SIGTERM: it finishes the work
    in flight), killing it only if it has not stopped within `seconds`."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
