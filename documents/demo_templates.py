"""Template bodies of the demo ISPs: realistic Polish documents in the documented context."""

CSS = """
h1 { font-size: 15pt; text-align: center; margin-bottom: 2mm; }
.meta { text-align: center; color: #555; margin-bottom: 8mm; }
.parties td { vertical-align: top; padding-right: 10mm; }
.signatures { margin-top: 25mm; width: 100%; }
.signatures td { width: 50%; text-align: center; border-top: 1px dotted #333; padding-top: 2mm; }
"""

PARTIES = """
<table class="parties"><tr>
<td><strong>Dostawca usług</strong><br>{{ tenant.name }}<br>NIP {{ tenant.nip }}</td>
<td><strong>Abonent</strong> (nr klienta {{ customer.number }})<br>{{ customer.name }}<br>
{% if customer.nip %}NIP {{ customer.nip }}{% else %}PESEL {{ customer.pesel }}{% endif %}<br>
{{ addresses.residence.text }}</td>
</tr></table>
"""

SIGNATURES = """<table class="signatures">
<tr><td>Dostawca usług</td><td>Abonent</td></tr></table>"""

BODIES = {
    "contract": """<h1>Umowa o świadczenie usług telekomunikacyjnych</h1>
<p class="meta">nr {{ document.number }} zawarta {{ document.date }}</p>""" + PARTIES + """
<p>§1. Dostawca usług zobowiązuje się świadczyć Abonentowi usługę dostępu do Internetu
{% if addresses.installation %}w lokalu: {{ addresses.installation.0.text }}{% else %}pod
adresem zamieszkania{% endif %}.</p>
<p>§2. Opłaty Abonent wnosi na indywidualny rachunek: <strong>{{ customer.account }}</strong>.</p>
<p>§3. Umowa zostaje zawarta na czas nieokreślony.</p>""" + SIGNATURES,
    "annex": """<h1>Aneks do umowy nr {{ document.parent_number }}</h1>
<p class="meta">nr {{ document.number }} z dnia {{ document.date }}</p>""" + PARTIES + """
<p>Strony zgodnie zmieniają warunki umowy w zakresie technologii przyłączenia (FTTH).</p>
""" + SIGNATURES,
    "termination": """<h1>Wypowiedzenie umowy nr {{ document.parent_number }}</h1>
<p class="meta">nr {{ document.number }} z dnia {{ document.date }}</p>""" + PARTIES + """
<p>Abonent wypowiada umowę z zachowaniem okresu wypowiedzenia.</p>""" + SIGNATURES,
    "letter": """<p style="text-align:right">{{ document.date }}</p>
<p>{{ customer.name }}<br>
{{ addresses.correspondence.text|default:addresses.residence.text }}</p>
<h1>Pismo nr {{ document.number }}</h1>
<p>Szanowni Państwo,</p><p>dziękujemy za wybór {{ tenant.name }}.</p>
<p>Z poważaniem<br>{{ tenant.name }}</p>""",
    "payment_demand": """<h1>Wezwanie do zapłaty nr {{ document.number }}</h1>
<p class="meta">{{ document.date }}</p>""" + PARTIES + """
<p>Wzywamy do uregulowania zaległości na rachunek {{ customer.account }} w terminie 7 dni.</p>
""",
    "protocol": """<h1>Protokół odbioru instalacji nr {{ document.number }}</h1>
<p class="meta">{{ document.date }}</p>""" + PARTIES + """
<p>Instalacja została wykonana i przyjęta bez zastrzeżeń.</p>""" + SIGNATURES,
}
