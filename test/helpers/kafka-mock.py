# librdkafka's mock cluster (Debian's python3-confluent-kafka), for tests: a Kafka-protocol test peer, not a Kafka.
# A client configured with test.mock.num.brokers starts one mock broker inside this process on an ephemeral
# 127.0.0.1 port and names it in its debug log ("... replaced with 127.0.0.1:PORT"). We print that address as the
# first line of stdout and keep the client polling until stdin closes (the test ended or died).
import logging
import re
import sys
import threading
import time

from confluent_kafka import Producer

found = []


class AddressHandler(logging.Handler):
    def emit(self, record):
        match = re.search(r'replaced with (127\.0\.0\.1:\d+)', record.getMessage())
        if match and not found:
            found.append(match.group(1))


logger = logging.getLogger('kafka-mock')
logger.setLevel(logging.DEBUG)
logger.addHandler(AddressHandler())
client = Producer({'test.mock.num.brokers': 1, 'debug': 'generic', 'bootstrap.servers': 'unused:1'}, logger=logger)

deadline = time.time() + 20
while not found and time.time() < deadline:
    client.poll(0.1)
if not found:
    sys.stderr.write('the mock cluster did not report its address\n')
    sys.exit(1)
print(found[0], flush=True)

stdin_closed = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), stdin_closed.set()), daemon=True).start()
while not stdin_closed.is_set():
    client.poll(0.2)
