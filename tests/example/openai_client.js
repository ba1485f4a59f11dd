// The official JavaScript `openai` package against the example worker (run by
// test_openai_js.py): node openai_client.js <package prefix> <base url> <embedding model> <chat model>
//   <base url of a worker whose chat stream fails after its first chunk>
// Prints one JSON object with what the client handed back.
"use strict";
const { createRequire } = require("node:module");
const path = require("node:path");

async function main() {
  const [prefix, baseURL, embeddingModel, chatModel, failingURL] = process.argv.slice(2);
  const { OpenAI } = createRequire(path.join(prefix, "package.json"))("openai");
  const client = new OpenAI({ baseURL, apiKey: "unused", maxRetries: 0 });
  const texts = ["A cat sits on the mat.", "Stock markets fell today."];
  // no encoding_format: the JavaScript client asks for base64 and decodes it itself
  const byDefault = await client.embeddings.create({ model: embeddingModel, input: texts });
  const asFloats = await client.embeddings.create({
    model: embeddingModel,
    input: texts,
    encoding_format: "float",
  });
  const stream = await client.chat.completions.create({
    model: chatModel,
    messages: [{ role: "user", content: "hello there" }],
    stream: true,
    stream_options: { include_usage: true },
  });
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  let notFound = null;
  try {
    await client.embeddings.create({ model: "nope", input: "x" });
  } catch (error) {
    notFound = { name: error.constructor.name, status: error.status, message: error.message };
  }
  let invalid = null;
  try {
    await client.embeddings.create({ model: embeddingModel, input: "" });
  } catch (error) {
    invalid = { name: error.constructor.name, status: error.status, code: error.code, param: error.param };
  }
  const failing = new OpenAI({ baseURL: failingURL, apiKey: "unused", maxRetries: 0 });
  const midStream = { chunks: [], error: null };
  try {
    const broken = await failing.chat.completions.create({
      model: "m",
      messages: [{ role: "user", content: "x" }],
      stream: true,
    });
    for await (const chunk of broken) midStream.chunks.push(chunk);
  } catch (error) {
    midStream.error = {
      name: error.constructor.name,
      message: error.message,
      code: error.code,
      type: error.type,
    };
  }
  const vectors = (response) => response.data.map((item) => Array.from(item.embedding));
  console.log(
    JSON.stringify({
      version: require(path.join(prefix, "node_modules", "openai", "package.json")).version,
      default: vectors(byDefault),
      float: vectors(asFloats),
      chunks,
      notFound,
      invalid,
      midStream,
    }),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
