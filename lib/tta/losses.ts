/**
 * The label-free objectives of the adaptation baselines, on class logits. Each is a small
 * pure function of tensors, so the tests can check it against a hand computation.
 */
import * as tf from '@tensorflow/tfjs';

/** Shannon entropy (nats) of the softmax of each row. `[B, C] -> [B]`. */
export function softmaxEntropy(logits: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const logProbs = tf.logSoftmax(logits);
    return tf.neg(tf.sum(tf.mul(tf.exp(logProbs), logProbs), 1)) as tf.Tensor1D;
  });
}

/** Entropy of the mean of the rows' softmaxes (MEMO's marginal entropy). `[A, C] -> []`. */
export function marginalEntropy(logits: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    // log of the mean probability by log-sum-exp over the copies: stable where a class has tiny probability in every copy.
    const logMean = tf.sub(tf.logSumExp(tf.logSoftmax(logits), 0), Math.log(logits.shape[0])); // [C]
    return tf.neg(tf.sum(tf.mul(tf.exp(logMean), logMean))) as tf.Scalar;
  });
}

/** Cross-entropy of the student's prediction against the teacher's soft prediction, per row (CoTTA). `[B, C] × [B, C] -> [B]`. */
export function softCrossEntropy(student: tf.Tensor2D, teacher: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.neg(tf.sum(tf.mul(tf.softmax(teacher), tf.logSoftmax(student)), 1)) as tf.Tensor1D);
}

/**
 * Minimum class confusion (Jin et al. 2020, as SUTA uses it on one utterance's frames):
 * with `P` the frames' softmax `[T, C]`, the class-correlation matrix `Pᵀ·P` `[C, C]` has
 * each column divided by its sum, and the loss is the mass off the diagonal over `C`. It is
 * small when frames that agree on a class agree confidently. `[T, C] -> []`.
 */
export function minimumClassConfusion(logits: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const classes = logits.shape[1];
    const probs = tf.softmax(logits); // [T, C]
    const correlation = tf.matMul(probs, probs, true, false); // [C, C]
    const normalised = tf.div(correlation, tf.reshape(tf.sum(correlation, 1), [1, classes]));
    const offDiagonal = tf.sub(tf.sum(normalised), tf.sum(tf.mul(normalised, tf.eye(classes))));
    return tf.div(offDiagonal, classes) as tf.Scalar;
  });
}
