"""Turns an invocation into an answer: chooses the call, maps every failure."""

from __future__ import annotations

from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from endpoint_invoker import errors
from endpoint_invoker.invocation import Answer, BadRequest, Invocation, Mode
from endpoint_invoker.runtime_gateway import RuntimeGateway
from endpoint_invoker.settings import REALTIME_PAYLOAD_LIMIT


class Invoker:
    def __init__(self, gateway: RuntimeGateway, endpoint_name: str):
        self._gateway = gateway
        self._endpoint_name = endpoint_name

    def answer(self, invocation: Invocation) -> Answer:
        try:
            return self._call(invocation)
        except BadRequest as error:
            return Answer.error(400, "BadRequest", str(error))
        except ClientError as error:
            return errors.for_client_error(error, self._endpoint_name)
        except (ReadTimeoutError, ConnectTimeoutError) as error:
            return errors.for_timeout(error)
        except EndpointConnectionError as error:
            return errors.for_unreachable(error)

    def _call(self, invocation: Invocation) -> Answer:
        if invocation.mode is Mode.RESULT:
            return self._gateway.fetch_result(invocation)
        if invocation.mode is Mode.ASYNC:
            return self._gateway.invoke_async(invocation)
        if len(invocation.body) > REALTIME_PAYLOAD_LIMIT:
            return errors.payload_too_large(len(invocation.body), REALTIME_PAYLOAD_LIMIT)
        return self._gateway.invoke(invocation)
