"""Export all-MiniLM-L6-v2 to an ONNX graph (mean pooling and L2 norm included), for comparing
ONNX Runtime with citebot's NumPy encoder. Not used by citebot at run time.

    /tmp/refvenv/bin/pip install torch==2.13.0 transformers onnx onnxruntime
    /tmp/refvenv/bin/python tools/export_onnx.py MODEL_FOLDER OUT.onnx

Reproducible: fixed opset, fixed example input, constant folding, no training-mode ops.
"""

from __future__ import annotations

import argparse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="a sentence-transformers folder of all-MiniLM-L6-v2")
    parser.add_argument("out", help="where to write the .onnx file")
    args = parser.parse_args()
    import torch
    from transformers import AutoModel

    torch.manual_seed(0)
    bert = AutoModel.from_pretrained(args.model, use_safetensors=True).eval()

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=1)

    ids = torch.ones((2, 16), dtype=torch.int64)
    with torch.no_grad():
        torch.onnx.export(
            Pooled(),
            (ids, torch.ones_like(ids)),
            args.out,
            input_names=["input_ids", "attention_mask"],
            output_names=["embedding"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
            },
            opset_version=17,
            do_constant_folding=True,
            dynamo=False,
        )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
