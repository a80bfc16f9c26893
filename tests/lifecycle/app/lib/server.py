"""HTTP server of the lifecycle test app (python3 stdlib only).

    server.py RELEASE_ROOT

Listens on 127.0.0.1:$PORT (default: LC_PORT of lib/lcapp/app.conf).
  GET /         reads RELEASE_ROOT/priv/static/version.txt on every request
                and answers its content (500 if it cannot be read: the
                running version's files were deleted under it)
  GET /health   200 "ok" (after the same read); 500 when built FAIL=health
  GET /env/KEY  the value of environment variable KEY ("" if unset)
  GET /whoami   "VERSION PID UID ROOT"
Appends "TIME start VERSION pid=PID" / "TIME stop VERSION pid=PID" to
$STATE/events.log.  Built with FAIL=start it logs start-failed and exits 1.
"""
import http.server
import os
import signal
import socketserver
import sys
import threading
import time

root = sys.argv[1]
conf = {}
with open(os.path.join(root, "lib/lcapp/app.conf")) as f:
    for line in f:
        k, sep, v = line.strip().partition("=")
        if sep:
            conf[k] = v.strip("'")
name, version, fail = conf["LC_NAME"], conf["LC_VERSION"], conf.get("LC_FAIL", "")
port = int(os.environ.get("PORT") or conf["LC_PORT"])
state = os.environ.get("RELPKG_STATE_DIR") or "/var/lib/" + name
vfile = os.path.join(root, "priv/static/version.txt")


def event(what):
    try:
        with open(os.path.join(state, "events.log"), "a") as f:
            f.write("%.6f %s %s pid=%d\n" % (time.time(), what, version, os.getpid()))
    except OSError as e:
        print("events.log: %s" % e, file=sys.stderr)


if fail == "start":
    event("start-failed")
    print("lcapp %s: failing at start deliberately (FAIL=start)" % version, file=sys.stderr)
    sys.exit(1)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *args):
        pass

    def answer(self, code, text):
        body = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path.startswith("/env/"):
            return self.answer(200, os.environ.get(self.path[5:], ""))
        if self.path == "/whoami":
            return self.answer(200, "%s %d %d %s" % (version, os.getpid(), os.getuid(), root))
        try:
            with open(vfile) as f:
                v = f.read().strip()
        except OSError as e:
            return self.answer(500, "lcapp %s: cannot read its own file: %s" % (version, e))
        if self.path == "/health":
            if fail == "health":
                return self.answer(500, "unhealthy (FAIL=health)")
            return self.answer(200, "ok")
        if self.path == "/":
            return self.answer(200, v)
        return self.answer(404, "no such path")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    allow_reuse_address = True
    daemon_threads = True


httpd = Server(("127.0.0.1", port), Handler)
event("start")


def stop(signum, frame):
    event("stop")
    threading.Thread(target=httpd.shutdown, daemon=True).start()


signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
print("lcapp %s listening on 127.0.0.1:%d (root %s)" % (version, port, root), flush=True)
httpd.serve_forever()
sys.exit(0)
