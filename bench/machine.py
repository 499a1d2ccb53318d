"""What machine a benchmark ran on, for its printed header."""
import os
import platform


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
