// How the console labels the API a request came through (the ledger's `door`): the gateway's known doors
// by name, a door this console does not know yet as the gateway names it, and no door (a row from before the
// gateway recorded it) as a dash.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DASH, doorLabel, unitsLabel } from '../../console/src/format.js';

test('known doors read as their API, unknown ones as named, none as a dash', () => {
  assert.equal(doorLabel('chat completion'), 'Chat completions');
  assert.equal(doorLabel('messages'), 'Messages');
  assert.equal(doorLabel('audio'), 'Audio');
  assert.equal(doorLabel('images'), 'Images');
  assert.equal(doorLabel('responses'), 'responses');
  assert.equal(doorLabel('toString'), 'toString');
  assert.equal(doorLabel(null), DASH);
  assert.equal(doorLabel(''), DASH);
});

test('units other than tokens (the audio door): seconds of audio, characters of speech; none as a dash', () => {
  assert.equal(unitsLabel(2.5, 'seconds'), '2.50 s of audio');
  assert.equal(unitsLabel(44, 'characters'), '44 characters');
  assert.equal(unitsLabel(null, null), DASH);
});
