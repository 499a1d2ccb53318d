"""Static checks of deploy/, docker-compose.yml and the Dockerfile: no
Docker engine or cluster exists here, so these are what CI can check.
promtool and amtool come from Debian (scripts/ensure-prometheus, which
`make test` runs)."""
import os
import shutil

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEPLOY = os.path.join(ROOT, "deploy")


def tool(name):
    path = shutil.which(name)
    if path is None:
        # make test installs them; a bare pytest run says how
        pytest.fail("{} is not installed: run scripts/ensure-prometheus".format(name))
    return path
