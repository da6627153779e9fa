/**
 * Training: the {@link dev.jacobi.train.Trainer} loop, model files and checkpoints.
 *
 * <p>{@link dev.jacobi.train.Trainer} minimises {@code loss(f(x), y) + Σ λᵢ·penaltyᵢ} over mini-batches, one
 * optimizer step per batch, with pluggable {@link dev.jacobi.nn.Regularizer}s (weights held by the trainer), post-step
 * {@link dev.jacobi.nn.Constraint}s, a {@link dev.jacobi.train.BatchTransform} hook (adversarial training), an
 * optional learning-rate scheduler (stepped per epoch) and gradient clipping, and reports through a
 * {@link dev.jacobi.train.TrainListener}. A NaN or infinite loss or penalty stops training with a
 * {@link dev.jacobi.train.NonFiniteLossException} naming the step, the epoch and the term.
 *
 * <p>{@link dev.jacobi.train.ModelFiles} saves and loads a model's state dict as safetensors with PyTorch's names,
 * so weights move both ways between PyTorch and Jacobi. {@link dev.jacobi.train.Checkpoint} holds the model,
 * optimizer state, epoch, step and random-generator states in one safetensors file, written atomically after an
 * epoch; {@link dev.jacobi.train.Trainer#resume} continues the run bit for bit.
 *
 * <pre>{@code
 * Sequential model = new Sequential(new Flatten(), new Linear(784, 256, rng), new ReLU(), new Linear(256, 10, rng));
 * Trainer trainer = Trainer.builder(model, new SGD(model.parameters(), 0.05, 0.9, 0, 0, false))
 *         .checkpoints(Path.of("runs/mlp"), 1)
 *         .listener(TrainListener.printing(System.out))
 *         .build();
 * trainer.fit(loader::epoch, 5);
 * Trainer.Evaluation test = Trainer.evaluate(model, testLoader);
 * ModelFiles.save(model, Path.of("mlp.safetensors"));
 * }</pre>
 */
package dev.jacobi.train;
