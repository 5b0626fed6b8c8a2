"""The 53 Kreise and kreisfreie Städte of Nordrhein-Westfalen, keyed by Kreisschlüssel (AGS).

Imports nothing. Part of the vocabulary seed of revision 0004 (see ``vocab_seed``): never
edited afterwards. 22 kreisfreie Städte and 31 Kreise (the Städteregion Aachen counts as a
Kreis), ordered by Regierungsbezirk; plus ``ausserhalb_nrw`` and ``unbekannt``.
"""

from __future__ import annotations

KREISE = """
05111 | Düsseldorf | Düsseldorf
05112 | Duisburg | Duisburg
05113 | Essen | Essen
05114 | Krefeld | Krefeld
05116 | Mönchengladbach | Mönchengladbach
05117 | Mülheim an der Ruhr | Mülheim an der Ruhr
05119 | Oberhausen | Oberhausen
05120 | Remscheid | Remscheid
05122 | Solingen | Solingen
05124 | Wuppertal | Wuppertal
05154 | Kreis Kleve | Kleve district
05158 | Kreis Mettmann | Mettmann district
05162 | Rhein-Kreis Neuss | Rhein-Kreis Neuss
05166 | Kreis Viersen | Viersen district
05170 | Kreis Wesel | Wesel district
05314 | Bonn | Bonn
05315 | Köln | Cologne
05316 | Leverkusen | Leverkusen
05334 | Städteregion Aachen | Aachen city region
05358 | Kreis Düren | Düren district
05362 | Rhein-Erft-Kreis | Rhein-Erft district
05366 | Kreis Euskirchen | Euskirchen district
05370 | Kreis Heinsberg | Heinsberg district
05374 | Oberbergischer Kreis | Oberberg district
05378 | Rheinisch-Bergischer Kreis | Rheinisch-Bergischer district
05382 | Rhein-Sieg-Kreis | Rhein-Sieg district
05512 | Bottrop | Bottrop
05513 | Gelsenkirchen | Gelsenkirchen
05515 | Münster | Münster
05554 | Kreis Borken | Borken district
05558 | Kreis Coesfeld | Coesfeld district
05562 | Kreis Recklinghausen | Recklinghausen district
05566 | Kreis Steinfurt | Steinfurt district
05570 | Kreis Warendorf | Warendorf district
05711 | Bielefeld | Bielefeld
05754 | Kreis Gütersloh | Gütersloh district
05758 | Kreis Herford | Herford district
05762 | Kreis Höxter | Höxter district
05766 | Kreis Lippe | Lippe district
05770 | Kreis Minden-Lübbecke | Minden-Lübbecke district
05774 | Kreis Paderborn | Paderborn district
05911 | Bochum | Bochum
05913 | Dortmund | Dortmund
05914 | Hagen | Hagen
05915 | Hamm | Hamm
05916 | Herne | Herne
05954 | Ennepe-Ruhr-Kreis | Ennepe-Ruhr district
05958 | Hochsauerlandkreis | Hochsauerland district
05962 | Märkischer Kreis | Märkischer district
05966 | Kreis Olpe | Olpe district
05970 | Kreis Siegen-Wittgenstein | Siegen-Wittgenstein district
05974 | Kreis Soest | Soest district
05978 | Kreis Unna | Unna district
ausserhalb_nrw | außerhalb NRW | outside NRW
unbekannt | unbekannt | unknown
"""
