import { useEffect, useState, type FormEvent } from 'react';
import type { Flag } from '../../../shared/flags/requests';
import { FLAG_KINDS, OPERATORS, type FlagKind } from '../../../shared/rules/types';
import { call } from '../api';
import {
  flagInput,
  flagState,
  newFlagState,
  newRule,
  newServe,
  type FlagState,
  type RuleState,
  type ServeState,
} from '../flag-form';
import { navigate } from '../router';
import { can, type Session } from '../session';
import {
  CheckField,
  ErrorMessage,
  Link,
  PercentField,
  RequestStatus,
  SubmitActions,
  SuccessMessage,
  useLoad,
} from '../ui';

function ServeEditor({
  legend,
  serve,
  variations,
  onChange,
}: {
  legend: string;
  serve: ServeState;
  variations: readonly string[];
  onChange: (serve: ServeState) => void;
}) {
  const total = variations.reduce((sum, v) => sum + (Number(serve.percents[v] ?? '0') || 0), 0);
  return (
    <fieldset className="serve">
      <legend>{legend}</legend>
      <label className="check">
        <input
          type="radio"
          checked={serve.mode === 'variation'}
          onChange={() => onChange({ ...serve, mode: 'variation' })}
        />
        One variation
      </label>
      <label className="check">
        <input
          type="radio"
          checked={serve.mode === 'split'}
          onChange={() => onChange({ ...serve, mode: 'split' })}
        />
        Percentage split
      </label>
      {serve.mode === 'variation' ? (
        <label>
          Variation
          <select value={serve.variation} onChange={(e) => onChange({ ...serve, variation: e.target.value })}>
            {variations.map((v) => (
              <option key={v}>{v}</option>
            ))}
          </select>
        </label>
      ) : (
        <div className="split">
          {variations.map((v) => (
            <PercentField
              key={v}
              label={`% ${v}`}
              value={serve.percents[v] ?? ''}
              onChange={(value) => onChange({ ...serve, percents: { ...serve.percents, [v]: value } })}
            />
          ))}
          <output className={total === 100 ? '' : 'warn-text'}>Total {Number(total.toFixed(2))} %</output>
        </div>
      )}
    </fieldset>
  );
}

function RuleEditor({
  rule,
  index,
  variations,
  onChange,
  onRemove,
  editable,
}: {
  editable: boolean;
  rule: RuleState;
  index: number;
  variations: readonly string[];
  onChange: (rule: RuleState) => void;
  onRemove: () => void;
}) {
  return (
    <fieldset className="rule">
      <legend>Rule {index + 1}</legend>
      <label>
        Rule id
        <input required value={rule.id} onChange={(e) => onChange({ ...rule, id: e.target.value })} />
      </label>
      {rule.advanced !== null ? (
        <div>
          <p className="hint">
            These conditions combine several clauses; the console keeps them as they are.
          </p>
          <pre>{JSON.stringify(rule.advanced, null, 2)}</pre>
        </div>
      ) : (
        <div className="clause">
          <label>
            Attribute
            <input
              required
              value={rule.attribute}
              placeholder="email"
              onChange={(e) => onChange({ ...rule, attribute: e.target.value })}
            />
          </label>
          <label>
            Operator
            <select value={rule.op} onChange={(e) => onChange({ ...rule, op: e.target.value })}>
              {OPERATORS.map((op) => (
                <option key={op}>{op}</option>
              ))}
            </select>
          </label>
          <label>
            Values (comma-separated)
            <input value={rule.values} onChange={(e) => onChange({ ...rule, values: e.target.value })} />
          </label>
        </div>
      )}
      <ServeEditor
        legend={`Rule ${index + 1} serves`}
        serve={rule.serve}
        variations={variations}
        onChange={(serve) => onChange({ ...rule, serve })}
      />
      {editable ? (
        <button type="button" className="danger" onClick={onRemove}>
          Remove rule {index + 1}
        </button>
      ) : null}
    </fieldset>
  );
}

/**
 * Create (`flagKey` null) or edit a flag: variations, targeting rules of one clause each, and what each rule
 * and the default rule serve, one variation or a percentage split. A role without `flags:update` sees the
 * same form read-only. Saving sends the version it read: if someone saved in between, the API answers 409
 * and the form says so, with a reload.
 */
export function FlagEditor({ session, flagKey }: { session: Session; flagKey: string | null }) {
  const loaded = useLoad(
    async () =>
      flagKey === null
        ? null
        : call<Flag>(session.token, 'GET', `/api/v1/feature-flags/${encodeURIComponent(flagKey)}`),
    flagKey ?? '',
  );
  const [state, setState] = useState<FlagState>(newFlagState);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<string | null>(null);
  useEffect(() => {
    if (loaded.data !== null) setState(flagState(loaded.data));
  }, [loaded.data]);

  const editable = flagKey === null ? can(session, 'flags', 'create') : can(session, 'flags', 'update');
  const variations = state.variations.map((v) => v.key);
  const update = (change: Partial<FlagState>) => setState((s) => ({ ...s, ...change }));

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setSaving(true);
    setError(null);
    setSaved(null);
    try {
      const current = loaded.data;
      if (current === null) {
        const created = await call<Flag>(session.token, 'POST', '/api/v1/feature-flags', flagInput(state));
        navigate(`/flags/${encodeURIComponent(created.key)}`);
      } else {
        const { key: _key, ...body } = flagInput(state, current);
        const updated = await call<Flag>(
          session.token,
          'PUT',
          `/api/v1/feature-flags/${encodeURIComponent(current.key)}`,
          { ...body, version: current.version },
        );
        setSaved(`Saved: version ${updated.version}.`);
        loaded.reload();
      }
    } catch (failure) {
      setError(failure);
    } finally {
      setSaving(false);
    }
  };

  const reload = () => {
    setError(null);
    loaded.reload();
  };

  if (flagKey !== null && loaded.data === null)
    return <RequestStatus loading={loaded.loading} error={loaded.error} />;
  const title = flagKey === null ? 'New flag' : `Flag ${flagKey}`;
  return (
    <section aria-labelledby="flag-title">
      <p>
        <Link to="/flags">← All flags</Link>
      </p>
      <h1 id="flag-title">{title}</h1>
      {loaded.data !== null ? (
        <p className="hint">
          Version {loaded.data.version}, updated {new Date(loaded.data.updatedAt).toLocaleString()}
          {editable ? '' : ' — read-only for your role'}
        </p>
      ) : null}
      <form onSubmit={(e) => void save(e)} aria-label={title}>
        <fieldset disabled={!editable || saving} className="plain">
          <div className="grid">
            <label>
              Key
              <input
                required
                value={state.key}
                readOnly={flagKey !== null}
                pattern="[a-z0-9][a-z0-9._\-]{0,63}"
                title="1–64 of a-z 0-9 . _ - starting with a letter or digit"
                onChange={(e) => update({ key: e.target.value })}
              />
            </label>
            <label>
              Name
              <input required value={state.name} onChange={(e) => update({ name: e.target.value })} />
            </label>
            <label>
              Kind
              <select
                value={state.kind}
                disabled={flagKey !== null}
                onChange={(e) => update({ kind: e.target.value as FlagKind })}
              >
                {FLAG_KINDS.map((k) => (
                  <option key={k}>{k}</option>
                ))}
              </select>
            </label>
            <label>
              Tags (comma-separated)
              <input value={state.tags} onChange={(e) => update({ tags: e.target.value })} />
            </label>
          </div>
          <label>
            Description
            <textarea value={state.description} onChange={(e) => update({ description: e.target.value })} />
          </label>
          <div className="checks">
            <CheckField
              label="On"
              checked={state.enabled}
              onChange={(checked) => update({ enabled: checked })}
            />
            <CheckField
              label="Visible to client keys"
              checked={state.clientSide}
              onChange={(checked) => update({ clientSide: checked })}
            />
            <CheckField
              label="Temporary (reported when stale)"
              checked={state.temporary}
              onChange={(checked) => update({ temporary: checked })}
            />
          </div>

          <fieldset>
            <legend>Variations</legend>
            {state.variations.map((variation, i) => (
              <div className="row" key={i}>
                <label>
                  Variation {i + 1} key
                  <input
                    required
                    value={variation.key}
                    onChange={(e) =>
                      update({
                        variations: state.variations.map((v, j) =>
                          j === i ? { ...v, key: e.target.value } : v,
                        ),
                      })
                    }
                  />
                </label>
                <label>
                  Variation {i + 1} value
                  <input
                    value={variation.value}
                    onChange={(e) =>
                      update({
                        variations: state.variations.map((v, j) =>
                          j === i ? { ...v, value: e.target.value } : v,
                        ),
                      })
                    }
                  />
                </label>
                {editable && state.variations.length > 2 ? (
                  <button
                    type="button"
                    className="danger"
                    onClick={() => update({ variations: state.variations.filter((_, j) => j !== i) })}
                  >
                    Remove variation {i + 1}
                  </button>
                ) : null}
              </div>
            ))}
            {editable ? (
              <button
                type="button"
                onClick={() =>
                  update({
                    variations: [...state.variations, { key: `v${state.variations.length + 1}`, value: '' }],
                  })
                }
              >
                Add variation
              </button>
            ) : null}
          </fieldset>

          <label>
            Served when off
            <select value={state.offVariation} onChange={(e) => update({ offVariation: e.target.value })}>
              {variations.map((v) => (
                <option key={v}>{v}</option>
              ))}
            </select>
          </label>

          <h2>Targeting rules</h2>
          <p className="hint">Rules are tried in order; the first that matches serves.</p>
          {state.rules.map((rule, i) => (
            <RuleEditor
              key={i}
              rule={rule}
              index={i}
              editable={editable}
              variations={variations}
              onChange={(next) => update({ rules: state.rules.map((r, j) => (j === i ? next : r)) })}
              onRemove={() => update({ rules: state.rules.filter((_, j) => j !== i) })}
            />
          ))}
          {editable ? (
            <button
              type="button"
              onClick={() =>
                update({ rules: [...state.rules, newRule(state.rules.length, variations[0] ?? '')] })
              }
            >
              Add rule
            </button>
          ) : null}
          <ServeEditor
            legend="Default rule (no rule matches)"
            serve={state.fallthrough.variation === '' ? newServe(variations[0] ?? '') : state.fallthrough}
            variations={variations}
            onChange={(fallthrough) => update({ fallthrough })}
          />
        </fieldset>
        {error !== null ? <ErrorMessage error={error} onReload={reload} /> : null}
        <SuccessMessage message={saved} />
        {editable ? (
          <SubmitActions busy={saving}>
            {saving ? 'Saving…' : flagKey === null ? 'Create flag' : 'Save'}
          </SubmitActions>
        ) : null}
      </form>
    </section>
  );
}
