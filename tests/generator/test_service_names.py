"""Service classes are named from ``info.title``, the file name as the fallback (issue 12)."""

from __future__ import annotations

from pathlib import Path

import pytest
from ieops_gen.names import service_classes, title_class
from ieops_gen.pipeline import run, stub_class

DOC = """\
openapi: 3.1.0
info: {{title: {title}, version: '1'}}
paths:
  /ping:
    get:
      operationId: ping
      responses: {{'204': {{description: pong}}}}
"""


@pytest.mark.parametrize(
    ("title", "stem"),
    [
        ("OpenAI API", "OpenAI"),
        ("Text Generation Inference", "TextGenerationInference"),
        ("chroma-frontend", "ChromaFrontend"),
        ("LoRAX", "LoRAX"),
        ("FishAudio OpenAPI", "FishAudio"),
        ("Replicate HTTP API", "Replicate"),
        ("Invoke - Community Edition", "InvokeCommunityEdition"),
        ("OpenAI-compatible inference", "OpenAICompatibleInference"),
        ("Non-oAuth Scopes example", "NonOAuthScopesExample"),
        ("Café Service", "Cafe"),
        ("API", None),
        ("REST API", None),
        ("3D models", None),
        ("日本語", None),
        ("A title far too long to be a class name anyone would type", None),
        (None, None),
        (3, None),
    ],
)
def test_title_class(title: object, stem: str | None) -> None:
    assert title_class(title) == stem


def test_titles_that_clash_all_fall_back_to_their_file_names() -> None:
    got = service_classes(
        [
            ("petstore", "Swagger Petstore"),
            ("petstore_expanded", "Swagger Petstore"),
            ("openai", "OpenAI API"),
            ("tgi", "API"),
        ]
    )
    assert got == [
        "PetstoreService",
        "PetstoreExpandedService",
        "OpenAIService",
        "TgiService",
    ]
    # whatever the order of the folder
    assert service_classes(
        [("petstore_expanded", "Swagger Petstore"), ("petstore", "Swagger Petstore")]
    ) == [
        "PetstoreExpandedService",
        "PetstoreService",
    ]


def test_a_title_that_takes_another_documents_fallback_falls_back_too() -> None:
    got = service_classes([("a", "Same"), ("b", "Same"), ("c", "A"), ("d", "C")])
    assert got == ["AService", "BService", "CService", "DService"]


def test_the_generated_service_routes_and_stub_use_the_title_name(tmp_path: Path) -> None:
    (tmp_path / "openai.yaml").write_text(DOC.format(title="OpenAI API"))
    (tmp_path / "cog_a.yaml").write_text(DOC.format(title="Cog"))
    (tmp_path / "cog_b.yaml").write_text(DOC.format(title="Cog"))
    result = run(tmp_path, "generated")
    names = {s.module: s.class_name for s in result.services}
    assert names == {"openai": "OpenAIService", "cog_a": "CogAService", "cog_b": "CogBService"}
    assert "class OpenAIService(ABC):" in result.files["openai/service.py"]
    assert "def router(service: OpenAIService," in result.files["openai/routes.py"]
    assert stub_class(result.services[-1]) == "OpenAIServiceImpl"
    assert "OpenAIService" in result.files["__init__.py"]
