"""What machine a benchmark ran on, for its printed header, and how busy
it is (Linux /proc): a figure measured while other work shares the cores
is read differently."""
import os
import platform
import time

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_model():
    """The CPU's model name from /proc/cpuinfo, else the architecture."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe(*extras):
    """"CPU; N cores; Python X" followed by any extra "name version" texts."""
    return "; ".join(["{}".format(cpu_model()), "{} cores".format(os.cpu_count()),
                      "Python {}".format(platform.python_version())] + list(extras))


def versions(*distributions):
    """"name version" of each installed distribution, comma-separated."""
    from importlib.metadata import version
    found = []
    for dist in distributions:
        try:
            found.append("{} {}".format(dist, version(dist)))
        except Exception:
            pass
    return ", ".join(found)


def load_average():
    try:
        return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:
        return "?"


def proc_cpu_seconds(pid):
    """User + system CPU seconds of a process, None when it is gone."""
    try:
        with open("/proc/{}/stat".format(pid)) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime
    except (OSError, IndexError, ValueError):
        return None


def machine_busy_seconds():
    """(busy, total) CPU seconds of the whole machine since boot."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:9]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / CLOCK_TICKS, sum(values) / CLOCK_TICKS


def busy_cores(seconds=2.0, sleep=time.sleep):
    """How many cores other work keeps busy, measured over `seconds`."""
    b0, t0 = machine_busy_seconds()
    sleep(seconds)
    b1, t1 = machine_busy_seconds()
    return (b1 - b0) / max(1e-9, t1 - t0) * (os.cpu_count() or 1)


def quiet_line(busy):
    """The sentence a benchmark prints about the load before it ran."""
    cores = os.cpu_count() or 1
    return "Before the run, other processes kept the machine {:.0f}% busy (of {}%){}".format(
        100 * busy, 100 * cores,
        "." if busy < 0.15 else ": NOT QUIET, the figures below share the CPU with them.")


def find_rabbitmq_pid():
    """The local RabbitMQ node (beam.smp), only to read its CPU time."""
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open("/proc/{}/comm".format(name)) as f:
                    if f.read().strip() == "beam.smp":
                        return int(name)
            except OSError:
                continue
    return None


def cpu_sample(pids):
    """CPU seconds so far of this process, of each named pid and of the
    machine."""
    times = os.times()
    sample = {"load generator": times.user + times.system}
    for label, pid in pids.items():
        if pid:
            sample[label] = proc_cpu_seconds(pid)
    sample["machine"] = machine_busy_seconds()[0]
    return sample
