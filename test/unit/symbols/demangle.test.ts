import { test } from 'node:test';
import assert from 'node:assert/strict';
import { demangle } from '../../../src/symbols/demangle.js';

// Expected strings are GNU c++filt 2.40's output for the same names.
const CASES: Array<[string, string]> = [
  ['_ZNSt6vectorIiSaIiEE9push_backERKi', 'std::vector<int, std::allocator<int> >::push_back(int const&)'],
  ['_ZSt4swapIiEvRT_S1_', 'void std::swap<int>(int&, int&)'],
  ['_Z1fPFPFviEiE', 'f(void (*(*)(int))(int))'],
  ['_Z1fPFPivE', 'f(int* (*)())'],
  ['_Z1fPA2_A3_i', 'f(int (*) [2][3])'],
  ['_Z1fM1AKFvvE', 'f(void (A::*)() const)'],
  ['_Z1fIJidEEvDpT_', 'void f<int, double>(int, double)'],
  ['_ZN12_GLOBAL__N_13fooEv', '(anonymous namespace)::foo()'],
  ['_ZN3fooUlvE_clEv', 'foo::{lambda()#1}::operator()()'],
  ['_Z3foov.isra.0.cold', 'foo() [clone .isra.0] [clone .cold]'],
  ['_ZN1AltIiEEbT_', 'bool A::operator< <int>(int)'],
  ['_ZTv0_n24_N3Foo3barEv', 'virtual thunk to Foo::bar()'],
  ['_ZGVZ4mainE1x', 'guard variable for main::x'],
  ['_ZNSsC1Ev', 'std::basic_string<char, std::char_traits<char>, std::allocator<char> >::basic_string()'],
  ['_ZNKSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEE4sizeEv', 'std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >::size() const'],
  ['_Z1fIiEvPAplT_Li1E_c', 'void f<int>(char (*) [(int)+(1)])'],
  ['_ZN4core3fmt5write17h0123456789abcdefE', 'core::fmt::write::h0123456789abcdef'],
  ['_RNvCs1234_7mycrate3foo', 'mycrate[3c1c0]::foo'],
  ['_RINvC1a3fooFUKCEuE', 'a[0]::foo::<unsafe extern "C" fn()>'],
  ['_RINvCs1234_7mycrate3fooAhj8_E', 'mycrate[3c1c0]::foo::<[u8; 8: usize]>'],
];

test('demangles like c++filt', () => {
  for (const [m, want] of CASES) assert.equal(demangle(m), want, m);
});

test('options: __cxa_demangle-style abbreviations, no parameters, no Rust hash', () => {
  assert.equal(demangle('_ZNKSs4sizeEv', { stdAbbreviations: true }), 'std::string::size() const');
  assert.equal(demangle('_ZN3foo3barEii', { params: false }), 'foo::bar');
  assert.equal(demangle('_ZN4core3fmt5write17h0123456789abcdefE', { rustHash: false }), 'core::fmt::write');
});

test('what is not a valid mangled name comes back unchanged', () => {
  for (const s of ['main', '_Z', '_ZN3foo', '_Zx', '_R', '_RNvC', '_Z1fIiEvT0_X', '_ZSt', '_Z' + 'P'.repeat(5000) + 'i']) assert.equal(demangle(s), s);
});

test('substitution bombs give up instead of printing exponentially long names', () => {
  // Each parameter doubles the previous template-id: std::pair<S_, S_> nested 40 deep.
  let m = '_Z1fIi';
  for (let i = 0; i < 40; i++) m += i === 0 ? 'St4pairIiiE' : `St4pairIS${(i * 2 - 1).toString(36).toUpperCase()}_S${(i * 2 - 1).toString(36).toUpperCase()}_E`;
  m += 'EvT_';
  const out = demangle(m);
  assert.ok(out.length < 10_000_000);
});
