"""axc.passes.network: Passes on networks: folds, constant folding, quantization, approximate multipliers, HTP, retraining, lowering."""
