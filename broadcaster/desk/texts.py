"""Every text the desk's pages show, in the request's language (kept here so the catalog tools find them)."""
from __future__ import annotations

from broadcaster.i18n import _


def page_texts() -> dict[str, str]:
    return {
        "app": _("Broadcast desk"),
        "nav_write": _("Write"), "nav_hear": _("Hear"), "nav_jingles": _("Jingles"),
        "nav_schedule": _("Schedule"), "nav_asrun": _("As-run log"), "nav_batch": _("Batch"),
        "nav_record": _("Record"), "record_it": _("Record it in my own voice"),
        "logout": _("Log out"), "login": _("Log in"), "password": _("Password"),
        "wrong_password": _("wrong password — try again"),
        "notices": _("Notices in this folder"), "none_yet": _("none yet"),
        "new_from_template": _("New notice from a template"), "new_free_text": _("New notice in my own words"),
        "choose_template": _("Choose a template"), "start": _("Start"),
        "file_name": _("File name (e.g. 停水通知 or hesuan-round9)"), "title": _("Title"),
        "text": _("What should be read out"), "voice": _("Voice"), "voice_default": _("the folder's default"),
        "repeat": _("Times read"), "optional": _("optional"), "example": _("e.g."),
        "spoken": _("What the loudspeaker will say"), "mistakes": _("Mistakes"),
        "save": _("Save"), "saved": _("Saved."), "checking": _("checking…"), "no_mistakes": _("No mistakes."),
        "hear_it": _("Hear it"), "editing": _("Editing"),
        "speaker": _("Speaker (for engines with several, e.g. kokoro)"),
        "speaker_default": _("the voice profile's"),
        "render": _("Make the audio"), "engine": _("Speech engine"), "output": _("Output profile"),
        "notice": _("Notice"), "working": _("Working…"), "done": _("Done."), "failed": _("Failed:"),
        "transcript": _("Transcript"), "download": _("Download"),
        "jingle_check": _("Rhyme check"), "strictness": _("How strict"), "line": _("Line"),
        "pinyin": _("Pinyin"), "pairs": _("Rhyme pairs"), "verdict": _("Verdict"), "problems": _("Problems"),
        "compose": _("Compose from the bank"), "form": _("Form"), "topics": _("Topics (e.g. 口罩,洗手,聚集)"),
        "place": _("Place (e.g. 黔江)"), "seed": _("Another number gives another jingle"),
        "compose_btn": _("Compose"), "save_as": _("Save as"),
        "schedule": _("Schedule file"), "timeline": _("The week's timeline"), "from": _("From"),
        "show_plan": _("Show the plan"), "add_to_schedule": _("Add a notice to the schedule"),
        "channel": _("Channel"), "priority": _("Priority"), "add": _("Add"),
        "added": _("Added to the schedule."), "no_plays": _("Nothing is planned in these days."),
        "emergency": _("Emergency: play now"), "emergency_btn": _("Play now on every loudspeaker"),
        "emergency_confirm": _("Play “{title}” now on every loudspeaker? It cuts into whatever is playing."),
        "emergency_sending": _("Sending it to the player…"),
        "no_player": _("No player is running, so there is no emergency button (start `broadcaster run`)."),
        "asrun_day": _("Day"), "show": _("Show"), "csv": _("Download as CSV"), "report": _("Download the report"),
        "nothing_logged": _("Nothing was logged on that day."), "status": _("Status"),
        "planned": _("Planned"), "started": _("Started"), "reason": _("Reason"),
        "villages_csv": _("Villages CSV (at most 1 MB)"), "batch_btn": _("Make audio for every village"),
        "village": _("Village"),
        # choices shown in words; the form sends the English value the files and the CLI use
        "priority_emergency": _("emergency (cuts in at once)"), "priority_urgent": _("urgent (next)"),
        "priority_normal": _("normal (in its turn)"), "priority_background": _("background (when nothing else plays)"),
        "rhyme_strict": _("strict: perfect rhymes only"), "rhyme_group": _("group: rhyme groups too (十三辙)"),
        "rhyme_dialect": _("dialect: dialect rhymes too"),
        "conflict_reload": _("Reload the page to see the other change, then make yours again."),
        "retrying": _("The desk does not answer right now — trying again…"),
        # the form's own words (desk/formwords.py words the loaders' mistakes with the labels)
        "file_name_short": _("File name"), "not_saved": _("Not saved: see the fields marked in red."),
        "spoken_wait": _("Fill in the form above: what the loudspeaker will say appears here."),
        "dates_short": _("Days"), "times_short": _("Times"),
        "dates_forms": _("Days (e.g. 12月12日, 明天, 12月12日到14日, 2026-12-12; left empty: every day)"),
        "times_forms": _("Times (e.g. 8点, 下午3点, 15:00; several: 8点、12点)"),
        "details": _("Details"), "why": _("Why?"), "added_but": _("Added, but:"),
        "engines_off": _("Some speech engines cannot be used on this computer now; they are greyed out."),
        "engine_off": _("{engine} (cannot be used now)"),
        "engine_auto": _("Automatic: the best that works here"),
        "engine_espeak": _("eSpeak: offline, a machine voice, always works"),
        "engine_neural": _("Natural Mandarin voice (offline)"),
        "engine_kokoro": _("Kokoro: male and female voices (offline)"),
        "engine_edge": _("Microsoft voices and dialects (needs the internet)"),
        "output_loudspeaker": _("Village loudspeaker (the usual)"), "output_truck": _("Truck loudspeaker"),
        "output_loop-player": _("TF card or USB loop player"), "output_archive": _("Archive (WAV)"),
        "kind_loudspeaker": _("village loudspeaker"), "kind_truck": _("truck"),
    }


# the texts desk.js shows: every page carries them in one block (base.html)
SCRIPT_TEXTS = ("working", "done", "failed", "retrying", "saved", "added", "no_plays", "emergency_confirm",
                "emergency_sending", "not_saved", "spoken_wait", "details", "added_but")


def script_texts(texts: dict[str, str]) -> dict[str, str]:
    return {key: texts[key] for key in SCRIPT_TEXTS}
