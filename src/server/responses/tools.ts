// Responses tools → chat tools. Function tools map one to one. A `namespace` tool (Codex sends them) groups
// function tools: each becomes a chat function named `<namespace>__<name>` (chat and every provider allow
// only [a-zA-Z0-9_-] in a function name), and a call to such a name is told back as a `function_call` with
// its `namespace` and `name`. Tools built into OpenAI's platform cannot run elsewhere: web search, which
// Codex sends on every request, is dropped with a warning; any other is untranslatable (a 400 naming it,
// where the request cannot pass through to an upstream that runs it).
import { invalidRequest } from '../../core/errors.js';
import { isObject } from '../../core/is-object.js';
import { validateOpenAI } from '../validation.js';
import type { Untranslatable } from './input.js';
import { functionToolSchema, namespaceToolSchema, type ResponsesRequest } from './request.js';

const NAMESPACE_SEPARATOR = '__';

/** Built-in tools dropped (with a warning) rather than refused: clients send them unasked. */
const DROPPED_BUILT_INS = new Set(['web_search', 'web_search_preview', 'web_search_preview_2025_03_11']);

export interface ChatTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: unknown; strict?: boolean };
}

/** A chat function name that stands for a function inside a namespace. */
export interface NamespacedName {
  namespace: string;
  name: string;
}

export interface MappedTools {
  tools: ChatTool[];
  /** Chat function names made from namespaces, to tell calls back in the namespace's terms. */
  namespaced: Map<string, NamespacedName>;
  notes: string[];
}

export const namespacedName = (namespace: string, name: string) =>
  `${namespace}${NAMESPACE_SEPARATOR}${name}`;

function chatFunction(
  name: string,
  tool: {
    description?: string | null | undefined;
    parameters?: unknown;
    strict?: boolean | null | undefined;
  },
): ChatTool {
  const fn: ChatTool['function'] = { name };
  if (tool.description != null) fn.description = tool.description;
  if (tool.parameters != null) fn.parameters = tool.parameters;
  if (tool.strict != null) fn.strict = tool.strict;
  return { type: 'function', function: fn };
}

const builtInRefusal = (type: string, param: string) =>
  invalidRequest(
    `The '${type}' tool is built into OpenAI's platform and runs only where the model is OpenAI's own; ` +
      'for this model the gateway translates the request, so declare it as a function tool instead.',
    param,
    'unsupported_content',
  );

export function mapTools(tools: ResponsesRequest['tools'], untranslatable: Untranslatable): MappedTools {
  const mapped: MappedTools = { tools: [], namespaced: new Map(), notes: [] };
  const names = new Set<string>();
  const add = (tool: ChatTool, param: string) => {
    if (names.has(tool.function.name))
      throw invalidRequest(`Duplicate tool name '${tool.function.name}'.`, param, 'invalid_value');
    names.add(tool.function.name);
    mapped.tools.push(tool);
  };
  for (const [i, tool] of (tools ?? []).entries()) {
    const param = `tools[${i}]`;
    if (tool.type === 'function') {
      const fn = validateOpenAI(functionToolSchema, tool);
      add(chatFunction(fn.name, fn), param);
    } else if (tool.type === 'namespace') {
      const ns = validateOpenAI(namespaceToolSchema, tool);
      for (const [j, inner] of ns.tools.entries()) {
        if (inner.type !== 'function') {
          untranslatable(builtInRefusal(inner.type, `${param}.tools[${j}].type`));
          continue;
        }
        const fn = validateOpenAI(functionToolSchema, inner);
        const name = namespacedName(ns.name, fn.name);
        const description = [ns.description, fn.description].filter(Boolean).join('\n\n');
        add(chatFunction(name, { ...fn, description: description || null }), `${param}.tools[${j}]`);
        mapped.namespaced.set(name, { namespace: ns.name, name: fn.name });
      }
    } else if (DROPPED_BUILT_INS.has(tool.type)) {
      mapped.notes.push(`the built-in '${tool.type}' tool is not available through tokgate and was dropped`);
    } else {
      untranslatable(builtInRefusal(tool.type, `${param}.type`));
    }
  }
  return mapped;
}

/** A Responses tool_choice in chat's terms (a namespaced function named as mapTools names it). */
export function mapToolChoice(
  choice: ResponsesRequest['tool_choice'],
  untranslatable: Untranslatable,
): unknown {
  if (choice == null || typeof choice === 'string') return choice ?? undefined;
  const named = (value: Record<string, unknown>, param: string) => {
    if (typeof value.name !== 'string')
      throw invalidRequest(`Missing required parameter: '${param}.name'.`, `${param}.name`);
    const name =
      typeof value.namespace === 'string' ? namespacedName(value.namespace, value.name) : value.name;
    return { type: 'function', function: { name } };
  };
  if (choice.type === 'function') return named(choice, 'tool_choice');
  if (choice.type === 'allowed_tools') {
    const list = Array.isArray(choice.tools) ? choice.tools : [];
    const tools = list.flatMap((tool, i) => {
      if (isObject(tool) && tool.type === 'function') return [named(tool, `tool_choice.tools[${i}]`)];
      untranslatable(builtInRefusal(String(isObject(tool) ? tool.type : tool), `tool_choice.tools[${i}]`));
      return [];
    });
    return { type: 'allowed_tools', allowed_tools: { mode: choice.mode ?? 'auto', tools } };
  }
  untranslatable(builtInRefusal(choice.type, 'tool_choice.type'));
  return undefined;
}
