"""A tiny random-weight GGUF model that llama.cpp loads and runs like any other.

Two llama layers, 256 wide, about 6 MB: the tests and the local-engine benchmark run the real
engine on it, so they need no download. Its tokenizer is a real SentencePiece-style vocabulary
of bytes (every text tokenizes, every JSON grammar can be followed) plus the printable ASCII
characters; its chat template is a plain one in the file, as real models carry theirs. The
weights are random: the answers are noise, but under a JSON grammar they are valid JSON.
"""

from __future__ import annotations

from pathlib import Path

N_EMBD = 256
N_FF = 512
N_HEAD = 4
N_LAYER = 2
N_CTX_TRAIN = 32768  # the tests open contexts up to this size
CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|>{{ message['content'] }}\n"
    "{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def _vocabulary() -> tuple[list[bytes], list[float], list[int]]:
    """<unk>, <s>, </s>, the 256 byte tokens, then '▁' (a space) and printable ASCII."""
    from gguf import TokenType

    tokens = [b"<unk>", b"<s>", b"</s>"]
    kinds = [TokenType.UNKNOWN, TokenType.CONTROL, TokenType.CONTROL]
    tokens += [f"<0x{byte:02X}>".encode() for byte in range(256)]
    kinds += [TokenType.BYTE] * 256
    pieces = ["\u2581"] + [chr(c) for c in range(33, 127)]
    tokens += [piece.encode() for piece in pieces]
    kinds += [TokenType.NORMAL] * len(pieces)
    scores = [0.0] * 3 + [-1000.0] * 256 + [-1.0] * len(pieces)
    return tokens, scores, [int(kind) for kind in kinds]


def write_tiny_model(path: Path, seed: int = 0, terse: float = 0.0) -> Path:
    """Write the model to `path` (a `.gguf` file) and return the path.

    `terse` leans the model towards closing a string: every token's embedding shares a
    direction that the '"' token's output row reads, so its strings stay short and a whole
    program's answers fit a small --max-tokens (0: no lean, the noise as it is)."""
    import gguf
    import numpy as np

    tokens, scores, kinds = _vocabulary()
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("sixhats tiny test model")
    writer.add_context_length(N_CTX_TRAIN)
    writer.add_embedding_length(N_EMBD)
    writer.add_block_count(N_LAYER)
    writer.add_feed_forward_length(N_FF)
    writer.add_head_count(N_HEAD)
    writer.add_head_count_kv(N_HEAD)
    writer.add_rope_dimension_count(N_EMBD // N_HEAD)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(kinds)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_unk_token_id(0)
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(False)
    writer.add_chat_template(CHAT_TEMPLATE)

    rng = np.random.default_rng(seed)

    def weights(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) * 0.02).astype(np.float32)

    ones = np.ones(N_EMBD, dtype=np.float32)
    vocab = len(tokens)
    # numpy shapes are the GGUF dimensions reversed: token_embd is {n_embd, n_vocab}.
    shared = rng.standard_normal(N_EMBD).astype(np.float32)
    shared /= np.linalg.norm(shared)
    embeddings = (weights(vocab, N_EMBD) + 0.02 * np.sqrt(N_EMBD) * shared).astype(np.float32)
    writer.add_tensor("token_embd.weight", embeddings if terse else weights(vocab, N_EMBD))
    for layer in range(N_LAYER):
        block = f"blk.{layer}"
        writer.add_tensor(f"{block}.attn_norm.weight", ones)
        for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
            writer.add_tensor(f"{block}.{name}.weight", weights(N_EMBD, N_EMBD))
        writer.add_tensor(f"{block}.ffn_norm.weight", ones)
        writer.add_tensor(f"{block}.ffn_gate.weight", weights(N_FF, N_EMBD))
        writer.add_tensor(f"{block}.ffn_up.weight", weights(N_FF, N_EMBD))
        writer.add_tensor(f"{block}.ffn_down.weight", weights(N_EMBD, N_FF))
    writer.add_tensor("output_norm.weight", ones)
    output = weights(vocab, N_EMBD)
    output[tokens.index(b'"')] += terse * shared
    writer.add_tensor("output.weight", output)

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
