"""Turns an invocation into an answer: chooses the call. Failures are raised, and mapped to
answers in one place (errors.answer_for)."""

from __future__ import annotations

from endpoint_invoker import errors
from endpoint_invoker.invocation import Answer, Invocation, Mode
from endpoint_invoker.runtime_gateway import RuntimeGateway
from endpoint_invoker.settings import REALTIME_PAYLOAD_LIMIT


class Invoker:
    def __init__(self, gateway: RuntimeGateway):
        self._gateway = gateway

    def answer(self, invocation: Invocation) -> Answer:
        if invocation.mode is Mode.RESULT:
            return self._gateway.fetch_result(invocation)
        if invocation.mode is Mode.ASYNC:
            return self._gateway.invoke_async(invocation)
        if len(invocation.body) > REALTIME_PAYLOAD_LIMIT:
            return errors.payload_too_large(len(invocation.body), REALTIME_PAYLOAD_LIMIT)
        return self._gateway.invoke(invocation)
