/**
 * The enrollment form: five steps, values in and out as API-shaped data, and
 * problems (phone's own or the server's) shown under their field. Everything is
 * written with textContent; nothing typed by a user is ever parsed as HTML.
 */
import { ageOn, formatDateId, formatMomentId, formatRupiah, todayIso } from './dates.js';
import { fieldForServerKey } from './validate.js';
import { fromDmy, toDmy } from './nikpropose.js';
import { parseRupiah, RupiahUnreadable } from './typed.js';

const TEXT_FIELDS = ['nik', 'kk_number', 'full_name', 'birth_place', 'birth_date', 'mother_name', 'address',
  'rt', 'rw', 'kelurahan_code', 'occupation', 'work_category', 'phone', 'heir_name', 'heir_relation',
  'heir_phone', 'notes'];
const STEPS = 5;

function option(value, label) {
  const el = document.createElement('option');
  el.value = value;
  el.textContent = label;
  return el;
}

/** What the enumerator typed in the income box, as the API's integer rupiah: read by
 * parseRupiah (typed.js, the port of the server's parse_rupiah), so "1.500.000",
 * "Rp 1.500.000,00" and "1500000" are 1500000 and "1.500" is 1500 (a dot only between
 * groups of three digits). '' for an empty box; anything not read ("1,5 juta",
 * "1.500.000,50", "1.50") is returned as typed, and validate.js says why. */
export function parseIncome(text) {
  try {
    const amount = parseRupiah(text);
    return amount === null ? '' : amount;
  } catch (err) {
    if (err instanceof RupiahUnreadable) return String(text);
    throw err;
  }
}

/** A typed birth date as ISO: dd-mm-yyyy (also with / or .) or ISO as is; else the
 * text unchanged, so the validator names the field. */
export function isoBirthDate(text) {
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return text;
  return fromDmy(text) || text;
}

/** Controller for #record-form. */
export class RecordForm {
  constructor(form) {
    this.form = form;
    this.step = 1;
    this.consentAt = null;
    this.location = null;
    this.touched = new Set();
    this.$ = (sel) => form.querySelector(sel);
    form.addEventListener('input', (e) => this.onInput(e));
    form.addEventListener('change', (e) => { if (e.target.name) this.touched.add(e.target.name); });
    this.$('#step-prev').addEventListener('click', () => this.goTo(this.step - 1));
    this.$('#step-next').addEventListener('click', () => this.goTo(this.step + 1));
    form.querySelectorAll('#step-tabs li').forEach((li) => li.addEventListener('click', () => this.goTo(Number(li.dataset.step))));
    this.$('[name=birth_date]').max = todayIso();
  }

  /** Fill the lists from the reference data (kept in IndexedDB for offline use). */
  setReference(ref) {
    const fill = (name, values, blank) => {
      const select = this.$(`[name=${name}]`);
      const current = select.value;
      select.replaceChildren(option('', blank), ...values.map(([v, label]) => option(v, label)));
      select.value = current;
    };
    fill('occupation', (ref?.occupations || []).map((o) => [o, o]), '— pilih pekerjaan di KTP —');
    fill('work_category', (ref?.work_categories || []).map((o) => [o, o]), '(tidak diisi)');
    fill('heir_relation', (ref?.heir_relations || []).map((o) => [o, o]), '— pilih hubungan —');
    fill('kelurahan_code', (ref?.kelurahan_list || []).map((k) => [k.code, `${k.name} (${k.kecamatan_name || k.kecamatan_code})`]),
      '— pilih kelurahan —');
  }

  /** Show a record's data. */
  setData(data) {
    for (const name of TEXT_FIELDS) {
      const el = this.form.elements[name];
      if (!el) continue;
      const value = data[name];
      if (el.tagName === 'SELECT' && value && ![...el.options].some((o) => o.value === value)) {
        el.append(option(value, value)); // keep a value the current list no longer has
      }
      el.value = value ?? '';
    }
    // dates show and type as dd-mm-yyyy whatever the phone's language
    this.form.elements.birth_date.value = toDmy(data.birth_date) || (data.birth_date ?? '');
    this.form.elements.monthly_income.value = Number.isInteger(data.monthly_income)
      ? String(data.monthly_income) : (data.monthly_income ?? '');
    this.form.querySelectorAll('[name=sex]').forEach((r) => { r.checked = r.value === data.sex; });
    const consent = data.consent || {};
    this.form.elements.consent.checked = Boolean(consent.given);
    this.form.querySelectorAll('[name=consent_method]').forEach((r) => { r.checked = r.value === consent.method; });
    this.consentAt = consent.given ? consent.at : null;
    this.location = data.location || null;
    const disability = data.disability || null;
    const answer = disability ? (disability.has_disability ? 'yes' : 'no') : '';
    this.form.querySelectorAll('[name=disability]').forEach((r) => { r.checked = r.value === answer; });
    const kinds = new Set(disability?.kinds || []);
    this.form.querySelectorAll('[name=disability_kinds]').forEach((c) => { c.checked = kinds.has(c.value); });
    this.touched = new Set();
    this.refreshEchoes();
    this.showProblems({}, {});
    this.goTo(1);
  }

  /** The form's values as API fields (id and captured_at are the record's). */
  getData() {
    const data = {};
    for (const name of TEXT_FIELDS) {
      const el = this.form.elements[name];
      if (el) data[name] = el.value.trim();
    }
    data.birth_date = isoBirthDate(data.birth_date);
    data.monthly_income = parseIncome(this.form.elements.monthly_income.value);
    data.sex = this.form.querySelector('[name=sex]:checked')?.value || '';
    const given = this.form.elements.consent.checked;
    const method = this.form.querySelector('[name=consent_method]:checked')?.value || '';
    data.consent = given ? { given: true, method, at: this.consentAt } : null;
    data.location = this.location;
    const answer = this.form.querySelector('[name=disability]:checked')?.value || '';
    const kinds = [...this.form.querySelectorAll('[name=disability_kinds]:checked')].map((c) => c.value);
    data.disability = answer === '' ? null
      : { has_disability: answer === 'yes', kinds: answer === 'yes' ? kinds : [] };
    return data;
  }

  onInput(event) {
    const { name } = event.target;
    if (name === 'consent') {
      // The moment of consent is when the box is ticked, recorded once.
      this.consentAt = event.target.checked ? (this.consentAt || new Date().toISOString()) : null;
    }
    this.refreshEchoes();
    this.form.dispatchEvent(new CustomEvent('record-change', { detail: { name } }));
  }

  /** The human-readable echoes under date, income, consent and GPS. */
  refreshEchoes() {
    const birth = isoBirthDate(this.form.elements.birth_date.value.trim());
    const shown = formatDateId(birth);
    this.$('#birth-date-echo').textContent = shown ? `${shown} (umur ${ageOn(birth)} tahun)` : '';
    const income = parseIncome(this.form.elements.monthly_income.value);
    this.$('#income-echo').textContent = Number.isInteger(income) ? formatRupiah(income) : '';
    this.$('#consent-echo').textContent = this.consentAt ? `Persetujuan dicatat: ${formatMomentId(this.consentAt)}` : '';
    const loc = this.location;
    this.$('#gps-status').textContent = loc
      ? `Lokasi: ${loc.lat.toFixed(5)}, ${loc.lon.toFixed(5)} (akurasi ±${Math.round(loc.accuracy_m ?? 0)} m)` : '';
    this.$('#gps-clear').hidden = !loc;
  }

  /** Store a GPS fix (or null). */
  setLocation(location) {
    this.location = location;
    this.refreshEchoes();
  }

  /** Move to step ``n`` (1..5). */
  goTo(n) {
    this.step = Math.min(STEPS, Math.max(1, n));
    this.form.querySelectorAll('fieldset[data-step]').forEach((fs) => { fs.hidden = Number(fs.dataset.step) !== this.step; });
    this.form.querySelectorAll('#step-tabs li').forEach((li) => li.classList.toggle('current', Number(li.dataset.step) === this.step));
    this.$('#step-prev').disabled = this.step === 1;
    this.$('#step-next').hidden = this.step === STEPS;
    this.$('#save-record').hidden = this.step !== STEPS;
    window.scrollTo?.(0, 0);
  }

  /**
   * Show problems: ``phone`` = {errors, warnings} from validate.js, ``server`` =
   * the server's {field: [messages]} (shown first: the server is the authority).
   * With ``onlyTouched`` the phone's errors appear only on fields already visited.
   */
  showProblems(phone, server = {}, onlyTouched = false) {
    const errors = {};
    for (const [key, messages] of Object.entries(server || {})) {
      (errors[fieldForServerKey(key)] ||= []).push(...messages);
    }
    for (const [field, messages] of Object.entries(phone.errors || {})) {
      if (onlyTouched && !this.touched.has(field)) continue;
      (errors[field] ||= []).push(...messages);
    }
    this.form.querySelectorAll('[data-error-for]').forEach((el) => {
      const list = errors[el.dataset.errorFor] || [];
      el.textContent = [...new Set(list)].join(' ');
      el.closest('.field')?.classList.toggle('has-error', list.length > 0);
    });
    this.form.querySelectorAll('[data-warning-for]').forEach((el) => {
      el.textContent = (phone.warnings?.[el.dataset.warningFor] || []).join(' ');
    });
    const stepsWithErrors = new Set();
    this.form.querySelectorAll('.field.has-error').forEach((f) => stepsWithErrors.add(Number(f.closest('fieldset').dataset.step)));
    this.form.querySelectorAll('#step-tabs li').forEach((li) => li.classList.toggle('has-error', stepsWithErrors.has(Number(li.dataset.step))));
    return [...stepsWithErrors].sort()[0] || null;
  }
}
