"""A support queue with a head, an agent, a watcher and a customer with a portal login."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kehu.conftest import EmployeeFactory, free_port
from kehu.desk.models import Ticket
from kehu.desk.tests import factories as f
from kehu.org.models import Employee


@dataclass
class Queue:
    head: Employee  # the lead's employee record, head of support
    agent: Employee  # the agent's employee record, in support
    contact: object
    ticket: Ticket


@pytest.fixture
def queue(world, django_capture_on_commit_callbacks) -> Queue:
    head = EmployeeFactory(department=world.support, user=world.lead, email="lead@example.com")
    world.support.head = head
    world.support.save()
    agent = EmployeeFactory(department=world.support, user=world.agent)
    contact = f.contact()
    contact.user = world.customer_a
    contact.save()
    ticket = f.ticket(world.support, contact_=contact, assignee=agent)  # events not delivered
    return Queue(head=head, agent=agent, contact=contact, ticket=ticket)


@pytest.fixture
def deliver(django_capture_on_commit_callbacks):
    """Run a ticket service and deliver what it announces, as a commit would."""

    def run(action, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return action(*args, **kwargs)

    return run


@dataclass
class Receiver:
    """A real HTTP server on loopback that records every request it gets."""

    status: int = 200
    requests: list[dict] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def http_receiver(settings):
    # The receiver is on loopback, which webhooks reach only when an operator allows it.
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            receiver.requests.append(
                {"headers": dict(self.headers), "body": body, "json": json.loads(body)}
            )
            self.send_response(receiver.status)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    yield receiver
    server.shutdown()
    server.server_close()
