# The seed README's error handling and best-practice snippets (错误处理, 最佳实践), copied
# unchanged; `inference` and `valid_input`, which the README assumes, are the additions.
from gmi_ieops.handler import format_error_response
from fastapi import HTTPException
from gmi_ieops.utils import log
from gmi_ieops.handler import Handler, Server, RouterDef, RouterKind
from gmi_ieops.config import env


async def inference(query):  # added
    if query.get("explode"):
        raise RuntimeError("secret internal detail")
    return {"answer": 42, "trace_id": query["trace_id"]}


def valid_input(query):  # added
    return "prompt" in query


# 在你的 handler 中
async def my_handler(query):
    if not query.get("messages"):
        raise HTTPException(status_code=400, detail="Messages required")
    
    try:
        result = await inference(query)
        return result
    except Exception as e:
        # 会被全局异常处理器捕获
        raise


def checked(query):
    if not valid_input(query):
        raise HTTPException(status_code=400, detail="Invalid input")
    try:
        result = {"ok": True, "prompt": query["prompt"]}
        log.get_logger(trace_id=query.get("trace_id")).info(f"checked prompt {query['prompt']}")
        if query["prompt"] == "fail":
            raise ValueError("boom")
        return result
    except Exception as e:
        log.get_logger(trace_id=query.get("trace_id")).error(f"Inference error: {e}")
        raise


def formatted(query):
    return format_error_response("quota exhausted", "quota_error", 429, trace_id=query["trace_id"])


# 配置管理: 自定义环境变量
def custom_env(query):
    return {
        "value": env.get("MY_CUSTOM_VAR", "default"),
        "value_int": env.get_int("MY_INT_VAR", 10),
        "value_bool": env.get_bool("MY_BOOL_VAR", False),
        "value_float": env.get_float("MY_FLOAT_VAR", 0.5),
        "value_list": env.get_list("MY_LIST_VAR", ["a", "b"]),
        "app": env.app.name,
        "port": env.server.port,
        "timeout": env.model.timeout,
        "concurrency": env.model.concurrency,
        "device": env.device.device,
        "nfs_server": env.storage.nfs_server,
        "pid": env.storage.pid,
        "chunk": env.storage.write_chunk_size,
        "nfs_timeout": env.storage.timeout,
    }


server = Server(
    routers={
        "err": [
            RouterDef(path="messages", handler=my_handler, kind=RouterKind.API),
            RouterDef(path="checked", handler=checked, kind=RouterKind.API),
            RouterDef(path="formatted", handler=formatted, kind=RouterKind.API),
            RouterDef(path="env", handler=custom_env, kind=RouterKind.API),
        ],
    },
    app_name=env.app.name,
)

if __name__ == "__main__":
    Handler(server=server).serve()
