# The seed README's OpenAI-compatible example (OpenAI 兼容聊天 API), copied unchanged.
# The README leaves `generate_tokens` to the reader; the one below is the only addition.
from gmi_ieops.handler import Handler, Server, RouterDef, RouterKind, HTTPMethod
from gmi_ieops.config import env

class ChatHandler:
    async def chat_completions(self, query):
        """OpenAI 兼容聊天补全"""
        messages = query.get("messages", [])
        # 你的推理逻辑
        return {
            "id": "chatcmpl-xxx",
            "object": "chat.completion",
            "choices": [{"message": {"role": "assistant", "content": "Hello!"}}],
        }
    
    async def chat_completions_stream(self, query):
        """流式聊天补全"""
        async for token in self.generate_tokens(query):
            yield {
                "id": "chatcmpl-xxx",
                "object": "chat.completion.chunk",
                "choices": [{"delta": {"content": token}}],
            }
    
    async def list_models(self, query):
        """列出可用模型"""
        return {
            "object": "list",
            "data": [{"id": env.model.name, "object": "model"}],
        }

    async def generate_tokens(self, query):  # added: the README assumes one exists
        for word in ("Hello", " ", "world"):
            yield word

def main():
    handler = ChatHandler()
    
    server = Server(
        routers={
            "chat/completions": [
                RouterDef(path="", handler=handler.chat_completions, kind=RouterKind.API),
                RouterDef(path="stream", handler=handler.chat_completions_stream, kind=RouterKind.SSE),
            ],
            "models": [
                RouterDef(path="", handler=handler.list_models, kind=RouterKind.API, method=HTTPMethod.GET),
            ],
        },
        prefix="/v1",
        app_name=env.app.name,
    )
    
    Handler(server=server).serve()

if __name__ == "__main__":
    main()
