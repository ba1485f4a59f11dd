"""Call the example worker with the generated client: models, embeddings, chat, chat stream,
and files (upload a text file, embed its lines, download it back, delete it).

PYTHONPATH=. python examples/worker/call_openai.py unix:///path/to/openai.sock
"""

from __future__ import annotations

import math
import sys

from examples.worker.embedder import as_floats
from generated.openai.client import Client
from generated.openai.models import (
    ChatCompletionRequestUserMessage,
    CreateChatCompletionRequest,
    CreateEmbeddingRequest,
    Purpose,
)


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def main(base_url: str) -> None:
    with Client(base_url, timeout=60) as client:
        models = client.list_models()
        print("models:", ", ".join(model.id for model in models.data))

        texts = ["A cat sits on the mat.", "A kitten rests on a rug.", "Stock markets fell today."]
        # the body as keywords, as the openai client takes it (or pass the model itself)
        embeddings = client.create_embedding(model=models.data[-1].id, input=texts)
        vectors = [as_floats(item.embedding) for item in embeddings.data]
        print(f"embeddings: {len(vectors)} x {len(vectors[0])} from {embeddings.model}")
        print(f"  cosine(cat, kitten) = {cosine(vectors[0], vectors[1]):.3f}")
        print(f"  cosine(cat, stocks) = {cosine(vectors[0], vectors[2]):.3f}")

        chat = CreateChatCompletionRequest(
            model="echo-1",
            messages=[ChatCompletionRequestUserMessage(role="user", content="hello worker")],
        )
        reply = client.create_chat_completion(chat)
        print("chat:", reply.choices[0].message.content)

        print("chat stream:", end=" ")
        with client.create_chat_completion(
            model=chat.model, messages=chat.messages, stream=True
        ) as stream:
            for chunk in stream:
                print(chunk.choices[0].delta.content or "", end="", flush=True)
        print()

        document = "\n".join(texts).encode()
        stored = client.create_file(file=("texts.txt", document), purpose=Purpose.user_data)
        print(f"file: {stored.id} ({stored.bytes} bytes, {stored.filename})")
        from_file = client.create_embedding(
            CreateEmbeddingRequest(model=embeddings.model, input_file_id=stored.id)
        )
        print(f"  embedded its {len(from_file.data)} lines")
        assert client.download_file(file_id=stored.id) == document
        print(f"  downloaded back, deleted: {client.delete_file(file_id=stored.id).deleted}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "unix:///tmp/openai.sock")
