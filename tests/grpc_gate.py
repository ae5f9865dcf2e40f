"""A loopback gRPC proxy in front of one service that forwards every unary call as it is (request
bytes, metadata, deadline; answers and errors with their details), except the methods a test
refuses: those answer UNAVAILABLE, as a service that did not answer would. It lets a test fail
one kind of call (e.g. scheduling's reads) between two real processes while the others go
through; or forward a call and lose its answer (`lose`): the service did the work, the caller
hears UNAVAILABLE."""

from __future__ import annotations

from collections.abc import Callable

import grpc

GATE_DETAILS = "refused by the test's gRPC gate"


class GrpcGate(grpc.GenericRpcHandler):
    def __init__(self, target: str) -> None:
        self.target = target
        self.port = 0
        self.called: list[str] = []  # every method asked of it, whatever the answer, in order
        self.forwarded: list[str] = []  # the methods that went through, in order
        self.refused: list[str] = []  # the methods refused, in order
        self._refuse: Callable[[str], bool] = lambda method: False
        self._lose: Callable[[str], bool] = lambda method: False
        self.lost: list[str] = []  # the methods forwarded whose answers were lost, in order
        self._server: grpc.aio.Server | None = None
        self._channel: grpc.aio.Channel | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._channel = grpc.aio.insecure_channel(self.target)
        self._server = grpc.aio.server()
        self._server.add_generic_rpc_handlers((self,))
        self.port = self._server.add_insecure_port("127.0.0.1:0")
        await self._server.start()

    async def close(self) -> None:
        if self._server is not None:
            await self._server.stop(grace=None)
        if self._channel is not None:
            await self._channel.close()

    def refuse(self, which: Callable[[str], bool]) -> None:
        """Refuse the methods (full names, `/package.Service/Method`) `which` picks."""
        self._refuse = which

    def lose(self, which: Callable[[str], bool]) -> None:
        """Forward the methods `which` picks, then answer UNAVAILABLE instead of their answers."""
        self._lose = which

    def open(self) -> None:
        """Forward every call again, with its answer."""
        self._refuse = lambda method: False
        self._lose = lambda method: False

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler[bytes, bytes] | None:
        method = str(handler_call_details.method)

        async def forward(request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
            self.called.append(method)
            if self._refuse(method):
                self.refused.append(method)
                await context.abort(grpc.StatusCode.UNAVAILABLE, GATE_DETAILS)
            assert self._channel is not None
            metadata = tuple(
                (key, value)
                for key, value in context.invocation_metadata() or ()
                if not key.startswith("grpc-") and key != "user-agent"
            )
            call: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes] = self._channel.unary_unary(method)
            try:
                answer: bytes = await call(request, metadata=metadata, timeout=context.time_remaining())
            except grpc.aio.AioRpcError as err:
                await context.abort(err.code(), err.details() or "", tuple(err.trailing_metadata() or ()))
            self.forwarded.append(method)
            if self._lose(method):
                self.lost.append(method)
                await context.abort(grpc.StatusCode.UNAVAILABLE, GATE_DETAILS)
            return answer

        return grpc.unary_unary_rpc_method_handler(forward)
