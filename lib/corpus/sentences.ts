/**
 * The sentences the offline corpus speaks, written for ttt-speech (no third-party text): short
 * (7–9 words; at the slowest speaker and style rates nearly all fit in 4 s, and the build speeds
 * up the few that do not), everyday, and phonetically varied. Task speakers read
 * {@link TASK_SENTENCES} in order, so sentence ids are shared across speakers (speaker ID trains
 * on some sentences and tests on others); babble speakers read only {@link BABBLE_SENTENCES}, so
 * babble never repeats a task utterance.
 */

/** Sentences read by task speakers; the sentence id is the index. */
export const TASK_SENTENCES: readonly string[] = [
  'A gentle breeze moved through the tall grass.',
  'Please bring the red umbrella to the porch.',
  'The fisherman mended his nets by the harbour.',
  'Seven yellow lemons sat in a wooden bowl.',
  'Our bus was late again this morning.',
  'She whispered the answer to her friend.',
  'The old bridge shook when the truck went over.',
  'Check the oven before you go to bed.',
  'Thick fog covered the village until noon.',
  'He measured the shelf twice before cutting.',
  'The choir sang softly in the empty church.',
  'Where did you put the keys to the shed?',
  'A small dog chased pigeons across the square.',
  'The judge read the verdict in a calm voice.',
  'Fresh paint was drying on the kitchen door.',
  'They shared a pizza after the long hike.',
  'The clock tower chimed twice in the distance.',
  'Could you open the window a little wider?',
  'Heavy rain flooded the road near the farm.',
  'My sister keeps her bicycle in the garage.',
  'The violin sounded sharp in the cold hall.',
  'Nobody noticed the cat asleep on the chair.',
  'We watched the planes land from the hill.',
  'Put the milk back in the fridge, please.',
  'The garden smelled of roses after the storm.',
  'A thousand stars were shining over the desert.',
  'The teacher wrote the date on the board.',
  'Let us meet by the fountain at three.',
  'The baker sold the last loaf before eight.',
  'Snow fell quietly on the frozen lake.',
];

/** Sentences read only by babble speakers; their ids follow the task sentences'. */
export const BABBLE_SENTENCES: readonly string[] = [
  'The market stalls were packed with fruit and flowers.',
  'Someone left the radio playing in the office.',
  'They talked about the weather for an hour.',
  'Two boys were kicking a ball against the wall.',
  'The waiter carried four plates at once.',
  'Her phone rang in the middle of the film.',
  'The ferry crossed the bay in twenty minutes.',
  'I think the shop closes early on Sundays.',
  'A loud truck rumbled past the school gates.',
  'The lamp flickered while the wind howled outside.',
];

/** The id a babble sentence gets in the manifest (after all task sentence ids). */
export function babbleSentenceId(index: number): number {
  return TASK_SENTENCES.length + index;
}
