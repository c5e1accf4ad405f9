// Subjects without reply/forward prefixes, and reply bodies without quoted history and signatures.
import { describe, expect, it } from 'vitest';
import { cleanSubject, subjectLooksLikeReply, trimReply } from '../../src/modules/inbound/email/email-text.js';

describe('cleanSubject', () => {
  it.each([
    ['Re: Pricing', 'Pricing'],
    ['RE: re: Fwd: FW: fw: Pricing', 'Pricing'],
    ['AW: WG: Angebot 2024', 'Angebot 2024'],
    ['Re[2]: RE(3): Pricing', 'Pricing'],
    ['SV: VS: Antw: Tr: RV: Offer', 'Offer'],
    ['  Re :   spaced   out  ', 'spaced out'],
    ['Regarding the plan', 'Regarding the plan'],
    ['Fwdnot: a prefix', 'Fwdnot: a prefix'],
    ['Re: ', ''],
  ])('%j → %j', (subject, title) => {
    expect(cleanSubject(subject)).toBe(title);
  });

  it('tells replies from forwards', () => {
    expect(subjectLooksLikeReply('AW: x')).toBe(true);
    expect(subjectLooksLikeReply('Fwd: x')).toBe(false);
    expect(subjectLooksLikeReply('Reminder')).toBe(false);
  });
});

describe('trimReply', () => {
  it('cuts a wrapped attribution line and everything after it', () => {
    expect(
      trimReply('Works for me.\n\nOn Mon, Jan 1, 2024 at 9:00 AM Anna Schmidt <\nanna@example.com> wrote:\n> Does Friday work?\n> Anna'),
    ).toBe('Works for me.');
  });

  it('cuts German and French attributions', () => {
    expect(trimReply('Passt.\n\nAm 02.01.2024 um 10:00 schrieb Anna <a@b.de>:\n> Passt Freitag?')).toBe('Passt.');
    expect(trimReply("D'accord.\n\nLe 2 janv. 2024 à 10:00, Anna <a@b.fr> a écrit :\n> Vendredi ?")).toBe("D'accord.");
  });

  it('cuts Outlook header blocks and Original Message separators', () => {
    expect(
      trimReply('See below.\n\n________________________________\nFrom: Tom <t@x.com>\nSent: Monday\nTo: Anna\nSubject: Re: x\n\nold text'),
    ).toBe('See below.');
    expect(trimReply('Fine.\n-----Original Message-----\nFrom: Tom\nold')).toBe('Fine.');
    expect(trimReply('Gut.\n\nVon: Tom <t@x.de>\nGesendet: Montag\nAn: Anna\nBetreff: x\n\nalt')).toBe('Gut.');
  });

  it('drops interleaved quotes but keeps the answers between them', () => {
    expect(trimReply('> Can you do Friday?\nYes.\n> And the contract?\nAttached.')).toBe('Yes.\nAttached.');
  });

  it('cuts signatures', () => {
    expect(trimReply('Thanks!\n\n-- \nTom Baker\nACME')).toBe('Thanks!');
    expect(trimReply('On my way.\n\nSent from my iPhone')).toBe('On my way.');
  });

  it('keeps text that merely starts with "On"', () => {
    expect(trimReply('On Monday we ship.\nOn Tuesday we rest.')).toBe('On Monday we ship.\nOn Tuesday we rest.');
  });

  it('keeps the whole text when trimming would leave nothing', () => {
    expect(trimReply('> only a quote')).toBe('> only a quote');
  });
});
