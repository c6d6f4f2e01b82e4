/**
 * `tokenflow bench peer-server`: serves a GGUF model with node-llama-cpp (N parallel sequences
 * in one context) behind the OpenAI streaming API, as the baseline for `bench serve --target`.
 * Runs until SIGINT or SIGTERM.
 */
import type { Command } from "commander";
import { startPeerServer } from "../bench/peer-server.js";
import { parseIntOption } from "./parse.js";

interface PeerServerFlags {
  model: string;
  sequences: number;
  host: string;
  port: number;
  threads?: number;
  contextSize?: number;
}

/** Resolves on the first SIGTERM or SIGINT. */
function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (signal: string) => {
      process.off("SIGTERM", on);
      process.off("SIGINT", on);
      resolve(signal);
    };
    process.on("SIGTERM", on);
    process.on("SIGINT", on);
  });
}

/** Registers `bench peer-server` under the `bench` command. */
export function registerBenchPeerServer(bench: Command, out: (s: string) => void): void {
  bench
    .command("peer-server")
    .description("serve a GGUF model with node-llama-cpp behind the OpenAI API (the benchmark's baseline)")
    .requiredOption("--model <path>", "GGUF file")
    .requiredOption(
      "--sequences <n>",
      "parallel sequences in one context; more requests wait in a FIFO queue",
      parseIntOption("sequences", 1, 1024),
    )
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "port to listen on (0: any free port)", parseIntOption("port", 0, 65535), 8081)
    .option("--threads <n>", "compute threads (default: all cores)", parseIntOption("threads", 1, 1024))
    .option(
      "--context-size <tokens>",
      "tokens per sequence, prompt plus output (default: the model's, at most 4096)",
      parseIntOption("context-size", 16, 1 << 20),
    )
    .action(async (flags: PeerServerFlags) => {
      const server = await startPeerServer({
        modelPath: flags.model,
        sequences: flags.sequences,
        host: flags.host,
        port: flags.port,
        ...(flags.threads === undefined ? {} : { threads: flags.threads }),
        ...(flags.contextSize === undefined ? {} : { contextSize: flags.contextSize }),
      });
      out(
        `tokenflow: node-llama-cpp peer serving ${flags.model} on ${server.url}/v1 ` +
          `(${server.sequences} sequences x ${server.contextSize} tokens)\n`,
      );
      const signal = await untilSignal();
      out(`tokenflow: ${signal}, stopping the peer server\n`);
      await server.close();
    });
}
