"""The ceiling every HTTP benchmark compares with: a trivial nameko HTTP→RPC
pair, `bench_echo` (`@rpc echo(body) -> {"ok": true}`) and
`bench_echo_gateway` (`POST /echo`: parse the JSON body, RPC it to
bench_echo, answer its JSON), in its own process
(`python -m bench._echo PORT AMQP_URI`; it stops when stdin says quit or
closes). `EchoServer` starts and stops it from a benchmark.
"""
import json
import os
import subprocess
import sys
import time

from bench.common import ROOT, free_port


def echo_services():
    from nameko.rpc import RpcProxy, rpc
    from nameko.web.handlers import http
    from werkzeug.wrappers import Response

    class Echo:
        name = "bench_echo"

        @rpc
        def echo(self, body):
            return {"ok": True}

    class EchoGateway:
        name = "bench_echo_gateway"
        echo = RpcProxy("bench_echo")

        @http("POST", "/echo")
        def post(self, request):
            body = json.loads(request.get_data())
            return Response(json.dumps(self.echo.echo(body)), status=200,
                            mimetype="application/json")

    return Echo, EchoGateway


def serve_echo_main(port, amqp):
    import eventlet
    eventlet.monkey_patch()
    from eventlet import tpool
    from nameko.runners import ServiceRunner

    runner = ServiceRunner({"AMQP_URI": amqp, "WEB_SERVER_ADDRESS": "127.0.0.1:{}".format(port)})
    for cls in echo_services():
        runner.add_service(cls)
    runner.start()
    while True:  # until the parent says quit or goes away
        line = tpool.execute(sys.stdin.readline)  # a real thread: the hub keeps serving
        if not line or line.strip() == "quit":
            break
    with eventlet.Timeout(30, False):
        runner.stop()
        return 0
    runner.kill()
    return 0


def wait_for_exit(proc, timeout, what):
    """Wait for a child; time.sleep is green when eventlet patched the
    caller, so a stack in the same process keeps serving."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None:
        if time.monotonic() > deadline:
            proc.kill()  # our own child, by its handle
            raise RuntimeError("{} did not finish within {:.0f} s".format(what, timeout))
        time.sleep(0.1)
    return proc.returncode


class EchoServer:
    def __init__(self, amqp, workdir):
        self.port = free_port()
        self.amqp = amqp
        self.log_path = os.path.join(workdir, "echo-server.log")
        self.proc = None

    def start(self):
        import requests
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench._echo", str(self.port), self.amqp],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=self.log, stderr=subprocess.STDOUT)
        session = requests.Session()
        session.trust_env = False
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("the echo server exited ({}); log: {}".format(
                    self.proc.returncode, self.log_path))
            try:
                if session.post(self.url, json={"ping": 1}, timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the echo server did not answer within 60 s; log: "
                                   + self.log_path)
            time.sleep(0.2)

    @property
    def url(self):
        return "http://127.0.0.1:{}/echo".format(self.port)

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(b"quit\n")
                self.proc.stdin.flush()
                self.proc.stdin.close()
                wait_for_exit(self.proc, 40, "the echo server's stop")
            except Exception:
                if self.proc.poll() is None:
                    self.proc.kill()  # our own child, by its handle
                    wait_for_exit(self.proc, 10, "the echo server")
        self.log.close()


if __name__ == "__main__":
    sys.exit(serve_echo_main(int(sys.argv[1]), sys.argv[2]))
