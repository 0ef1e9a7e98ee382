/**
 * Ranking quality of anomaly scores against known labels (1 = anomaly,
 * 0 = normal; a higher score should mean "more anomalous").
 *
 * - ROC-AUC through the Mann-Whitney U statistic: the probability that a random
 *   anomaly scores above a random normal example, ties counting one half.
 *   With average ranks r over all n examples, U = Σ_{anomalies} r − n₁(n₁+1)/2
 *   and AUC = U / (n₁ n₀). O(n log n) instead of the O(n₁ n₀) pair count.
 * - PR-AUC as average precision (as scikit-learn's average_precision_score):
 *   AP = Σ_t (R_t − R_{t−1}) P_t over the distinct score thresholds t taken from
 *   the highest down, so a group of tied scores enters as one step.
 */
import { UsageError } from '../../errors.js';

function checkInputs(scores: ArrayLike<number>, labels: ArrayLike<number>): { positives: number; negatives: number } {
  if (scores.length !== labels.length) throw new UsageError(`scores and labels differ in length (${scores.length} vs ${labels.length})`);
  let positives = 0;
  for (let i = 0; i < scores.length; i++) {
    if (Number.isNaN(scores[i])) throw new UsageError(`score ${i} is NaN; AUC needs comparable scores`);
    if (labels[i] !== 0 && labels[i] !== 1) throw new UsageError(`label ${i} is ${labels[i]}; anomaly labels must be 0 or 1`);
    positives += labels[i];
  }
  const negatives = scores.length - positives;
  if (positives === 0 || negatives === 0) throw new UsageError(`AUC needs both anomalies and normal examples (got ${positives} anomalies, ${negatives} normal)`);
  return { positives, negatives };
}

/** Indices of `scores` from the highest score to the lowest. */
function descendingOrder(scores: ArrayLike<number>): Uint32Array {
  const order = Uint32Array.from({ length: scores.length }, (_, i) => i);
  return order.sort((a, b) => scores[b] - scores[a]);
}

/** Area under the ROC curve of `scores` for `labels` (1 = anomaly). */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const { positives, negatives } = checkInputs(scores, labels);
  const order = descendingOrder(scores).reverse(); // ascending, so rank 1 is the lowest score
  let rankSum = 0;
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && scores[order[end]] === scores[order[start]]) end++;
    const averageRank = (start + 1 + end) / 2; // ranks start+1 .. end share their mean
    for (let i = start; i < end; i++) if (labels[order[i]] === 1) rankSum += averageRank;
    start = end;
  }
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Average precision of `scores` for `labels` (1 = anomaly): the area under the precision-recall curve. */
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const { positives } = checkInputs(scores, labels);
  const order = descendingOrder(scores);
  let truePositives = 0;
  let sum = 0; // Σ gained · precision; divided by the positives once, so a perfect ranking gives exactly 1
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && scores[order[end]] === scores[order[start]]) end++;
    let gained = 0;
    for (let i = start; i < end; i++) gained += labels[order[i]];
    truePositives += gained;
    sum += gained * (truePositives / end); // Δrecall · positives × precision at this threshold
    start = end;
  }
  return sum / positives;
}
