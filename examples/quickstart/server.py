# The seed README's quick start, unchanged: a worker with one SSE and one JSON route.
from typing import Dict, Any, AsyncGenerator

class MyHandler:
    """你的推理模型 Handler"""
    
    async def chat_stream(self, query: Dict[str, Any]) -> AsyncGenerator[Dict[str, Any], None]:
        """异步生成器用于流式输出"""
        messages = query.get("messages", [])
        response = f"Hello! You said: {messages[-1]['content'] if messages else 'nothing'}"
        
        for char in response:
            yield {
                "results": [{"content": char, "role": "assistant"}],
                "stopped": False,
            }
        
        yield {"stopped": True, "stop_reasons": ["end"]}
    
    def chat_complete(self, query: Dict[str, Any]) -> Dict[str, Any]:
        """同步函数用于单次响应"""
        return {"message": "Hello from sync handler!"}

from gmi_ieops.handler import Handler, Server, RouterDef, RouterKind
from gmi_ieops.config import env

def main():
    handler = MyHandler()
    
    server = Server(
        routers={
            "chat": [
                RouterDef(path="stream", handler=handler.chat_stream, kind=RouterKind.SSE),
                RouterDef(path="complete", handler=handler.chat_complete, kind=RouterKind.API),
            ],
        },
        app_name=env.app.name,
    )
    
    Handler(server=server).serve()

if __name__ == "__main__":
    main()
