# The seed README's image example (图像生成 API), copied unchanged, except that the
# README's placeholder `"images": [...]` (a list holding Ellipsis) is spelled out, and the
# lines creating `handler` and serving, which the README leaves implicit, are added.
from gmi_ieops.handler import Handler, Server, RouterDef, RouterKind

class ImageHandler:
    async def txt2img(self, query):
        """文生图"""
        prompt = query.get("prompt", "")
        # 你的扩散逻辑
        return {"images": [{"base64": "..."}]}
    
    async def txt2img_stream(self, query):
        """流式进度更新"""
        for progress in range(0, 101, 10):
            yield {"progress": progress, "status": "generating"}
        yield {"progress": 100, "status": "complete", "images": [{"base64": "..."}]}

handler = ImageHandler()  # added

server = Server(
    routers={
        "images": [
            RouterDef(path="generate", handler=handler.txt2img, kind=RouterKind.API),
            RouterDef(path="generate/stream", handler=handler.txt2img_stream, kind=RouterKind.SSE),
        ],
    },
)

Handler(server=server).serve()  # added
