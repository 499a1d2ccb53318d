"""eventlet must patch the standard library before anything else imports it.

Browser tests (tests/browser) drive Chromium through Playwright, whose
synchronous API does not work under eventlet's monkey patching: they run in
a pytest process of their own with CFZ_TEST_BROWSER=1 (see the Makefile),
which patches nothing and collects nothing else."""
import os

BROWSER_RUN = os.environ.get("CFZ_TEST_BROWSER") == "1"

if BROWSER_RUN:
    collect_ignore_glob = ["tests/unit/*", "tests/interface/*", "tests/e2e/*"]
else:
    import eventlet

    eventlet.monkey_patch()
    collect_ignore_glob = ["tests/browser/*"]
