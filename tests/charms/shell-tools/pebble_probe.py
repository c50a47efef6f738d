"""GET /v1/system-info from the work container's Pebble, with nothing but
a unix-socket HTTP client: prints the status and Pebble's version."""

import http.client
import json
import socket


class Conn(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect("/charm/containers/work/pebble.socket")


c = Conn("localhost")
c.request("GET", "/v1/system-info")
r = c.getresponse()
print(r.status, json.loads(r.read())["result"]["version"])
