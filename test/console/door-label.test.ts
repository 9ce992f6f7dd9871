// How the console labels the API a request came through (the ledger's `door`): the gateway's known doors
// by name, a door this console does not know yet as the gateway names it, and no door (a row from before the
// gateway recorded it) as a dash.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DASH, doorLabel } from '../../console/src/format.js';

test('known doors read as their API, unknown ones as named, none as a dash', () => {
  assert.equal(doorLabel('chat completion'), 'Chat completions');
  assert.equal(doorLabel('messages'), 'Messages');
  assert.equal(doorLabel('images'), 'Images');
  assert.equal(doorLabel('responses'), 'responses');
  assert.equal(doorLabel('toString'), 'toString');
  assert.equal(doorLabel(null), DASH);
  assert.equal(doorLabel(''), DASH);
});
